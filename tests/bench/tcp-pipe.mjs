// The floor below every HTTP proxy: a Node process that copies bytes between each client connection and a connection
// of its own to the upstream, parsing nothing. Whatever it adds to the direct path is the cost of one more process
// and two more sockets on this machine, before any HTTP work. argv: upstream URL; prints its port.
import net from 'node:net';

const { hostname, port } = new URL(process.argv[2]);
const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ host: hostname, port: Number(port), noDelay: true });
  client.on('data', (d) => { if (!upstream.write(d)) { client.pause(); upstream.once('drain', () => client.resume()); } });
  upstream.on('data', (d) => { if (!client.write(d)) { upstream.pause(); client.once('drain', () => upstream.resume()); } });
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.on('error', () => {});
  upstream.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
