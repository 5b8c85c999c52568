import type { IncomingMessage, ServerResponse } from 'node:http';

/** How long a client answered before its body was read may go on sending it, ms. */
export const UNREAD_BODY_LINGER_MS = 2_000;

/**
 * After an answer sent before the request's body was read to its end (a refusal), Node drains
 * the rest of the body to keep the connection, for as long as the client sends. Here the client
 * has `ms` after the answer to end its body, and the connection is kept; otherwise it is closed.
 * Closing it with the answer would lose the answer for a client still sending: data arriving
 * after a close resets the connection, and the client's TCP stack then discards what it has not
 * read yet (RFC 9112 §9.6). nginx's lingering close rests on the same reasoning.
 */
export function closeUnlessBodyEnds(
  request: IncomingMessage,
  response: ServerResponse,
  ms = UNREAD_BODY_LINGER_MS,
): void {
  response.once('finish', () => {
    if (request.complete) return;
    setTimeout(() => {
      if (!request.complete) request.socket.destroy();
    }, ms).unref();
  });
}
