/**
 * The V8 flags the kernel's process runs with, wherever it starts: `npm start`, the container image, the StartOS
 * daemon, and the tests and benchmarks that run it as `npm start` does (tests/build/node-flags.test.ts holds the
 * literal start commands to this list).
 *
 * --max-semi-space-size=32: a young generation of 2 × 32 MB instead of Node 20's 2 × 16 MB. Every request leaves a few
 * kilobytes of short-lived objects, and with the smaller semi-spaces the scavenger ran twice as often and promoted
 * objects of requests still in flight. Measured side by side (20,000 small proxied requests, 16 connections): 66–79 →
 * 48–55 µs of kernel CPU per request, 12–13.5k → 14.9–16.7k requests/s; opening 1,024 streams at once 199–203 → 175–179
 * µs per stream; idle RSS unchanged (88–92 → 93–94 MB), peak under load 187–189 → 180–221 MB.
 */
export const KERNEL_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
