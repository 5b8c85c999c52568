import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { connectTestNats, TEST_NATS_URL } from './nats.js';

/**
 * A hop to the test NATS server that leaves its first `silent` connections unanswered, as a
 * server too busy to greet would.
 */
async function stallingHop(
  silent: number,
): Promise<{ url: string; accepted: () => number; close: () => Promise<void> }> {
  const target = new URL(TEST_NATS_URL);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (++accepted <= silent) return;
    const upstream = tcpConnect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    accepted: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connectTestNats', () => {
  it('waits out a server that does not answer its first connection', async () => {
    const hop = await stallingHop(1);
    try {
      const nc = await connectTestNats({ url: hop.url, attemptMs: 500, patienceMs: 10_000 });
      await expect(nc.flush()).resolves.toBeUndefined();
      await nc.close();
      expect(hop.accepted()).toBeGreaterThanOrEqual(2);
    } finally {
      await hop.close();
    }
  });

  it('fails loudly, naming the server and how to start it, when nothing answers', async () => {
    const nobody = await stallingHop(Infinity);
    try {
      await expect(
        connectTestNats({ url: nobody.url, attemptMs: 300, patienceMs: 1_000 }),
      ).rejects.toThrow(
        `NATS is unreachable at ${nobody.url} (TimeoutError: not satisfied within 1000 ms: timeout): ` +
          'start nats-server with JetStream (nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server)',
      );
      expect(nobody.accepted()).toBeGreaterThanOrEqual(2);
    } finally {
      await nobody.close();
    }
  });
});
