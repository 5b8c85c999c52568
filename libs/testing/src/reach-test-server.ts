import { expectEventually } from './expect-eventually.js';

/** A server the tests need, named for the error that says how to start it. */
export interface TestServer {
  /** e.g. `NATS`. */
  name: string;
  url: string;
  /** The command that starts it, e.g. `pg_ctlcluster 15 main start`. */
  start: string;
}

/**
 * Runs `connect` until it resolves, for up to `patienceMs` (30 s unless given), and returns what
 * it resolved to; then fails loudly (tests never skip) naming the server and how to start it.
 * One short attempt is not enough: on the shared 2-core CI box a 3 s NATS connect once timed
 * out with the server up, and failed a whole e2e suite.
 *
 * @throws Error `<name> is unreachable at <url> (<last failure>): <start>`
 */
export async function reachTestServer<T>(
  server: TestServer,
  connect: () => Promise<T>,
  patienceMs = 30_000,
): Promise<T> {
  try {
    return await expectEventually(connect, { timeoutMs: patienceMs, intervalMs: 250 });
  } catch (cause) {
    throw new Error(
      `${server.name} is unreachable at ${server.url} (${String(cause)}): ${server.start}`,
      { cause },
    );
  }
}
