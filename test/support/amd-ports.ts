// The ports a test's emulator binds for its unicast streams (FreeSWITCH's side, `local-port`): a range of 100 per
// harness, held for the harness's life by a TCP listener on its first port, so two test processes running side by
// side (tap runs two files at once) never get the same range. Both once picked one of 400 ranges at random, and a
// stream whose port the other process held streamed nothing (as on FreeSWITCH: the bind fails, the call is "not
// sure" after its guard). The ranges stay below Linux's ephemeral ports (32768 on), which any socket may be given.
// TCP and UDP ports are apart, so the listener does not take the UDP port it guards.
import { createServer, type Server } from 'node:net';

const FIRST = 20_000;
const RANGES = 127;
const SIZE = 100;

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** A free range [first, last] and how to give it back. */
export async function reserveAmdPorts(): Promise<{ range: [number, number]; release: () => Promise<void> }> {
  const start = Math.floor(Math.random() * RANGES);
  for (let i = 0; i < RANGES; i++) {
    const base = FIRST + ((start + i) % RANGES) * SIZE;
    const server = await listenOn(base);
    if (!server) continue;
    server.unref();
    return {
      range: [base, base + SIZE - 1],
      release: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  throw new Error('no free range of ports for the emulator unicast streams');
}
