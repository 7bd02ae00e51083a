/** The fake parakeet in a process of its own with a "GPU" time that grows with the audio (argv: fixed ms per request,
 *  ms per audio second), for the long-recording benchmark. Prints the port. */
import { startFakeParakeet } from '../../plugins/speech/sim/fakeSpeech.js';

const [processingMs, msPerAudioSec] = process.argv.slice(2).map(Number);
const fake = await startFakeParakeet({ processingMs, msPerAudioSec });
process.stdout.write(`${fake.port}\n`);
process.on('SIGTERM', () => { void fake.close().finally(() => process.exit(0)); });
