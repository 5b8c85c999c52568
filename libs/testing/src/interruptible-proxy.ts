import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP hop between a client and a server that a test cuts and restores on the same port, as a
 * network outage would: the client sees its connection drop and its reconnects refused.
 */
export interface InterruptibleProxy {
  /** Loopback port to give the client instead of the server's. */
  port: number;
  /** Drops every connection through the hop and refuses new ones until `restore`. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a hop on a free loopback port to `target` (e.g. the test NATS server). */
export async function startInterruptibleProxy(target: {
  host: string;
  port: number;
}): Promise<InterruptibleProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        other.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen(0);
  const { port } = server.address() as { port: number };
  return { port, cut, restore: () => listen(port), close: cut };
}
