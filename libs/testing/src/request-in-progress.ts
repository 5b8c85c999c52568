import { connect, type Socket } from 'node:net';

/** An HTTP request whose body is still being sent, on a connection of its own. */
export interface RequestInProgress {
  socket: Socket;
  /** Sends more of the body. */
  send(bytes: string): void;
  /** What the server answered so far, as text. */
  answer(): string;
  /** The server ended the connection (it sent its FIN, or the connection was reset). */
  ended(): boolean;
}

/**
 * Opens a connection to `port` on `host` (from the local address `from`, another loopback address
 * to be another client), sends the request line and headers `head` (without the blank line
 * ending them) and `first`, the start of the body: a client still sending, for tests of what a
 * server answers before a body is complete.
 */
export async function startRequest(
  { port, host = '127.0.0.1', from }: { port: number; host?: string; from?: string },
  head: string,
  first: string,
): Promise<RequestInProgress> {
  const socket = connect({ port, host, ...(from && { localAddress: from }) });
  await new Promise((resolve) => socket.once('connect', resolve));
  let answer = '';
  let ended = false;
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.on('end', () => (ended = true));
  socket.on('close', () => (ended = true));
  socket.on('error', () => undefined);
  socket.write(`${head}\r\n\r\n${first}`);
  return {
    socket,
    send: (bytes) => {
      if (!socket.destroyed) socket.write(bytes);
    },
    answer: () => answer,
    ended: () => ended,
  };
}
