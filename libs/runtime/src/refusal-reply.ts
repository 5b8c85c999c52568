import type { FastifyReply } from 'fastify';

/** Why a request is refused before any route runs: its status and the code and words of its detail. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/**
 * The platform's error body of `refusal`, ending with a newline:
 * `{"error": {"code": "bad_request", message, "details": [{code, message}]}}`, the reason's own
 * code in `details[0].code`.
 */
export function refusalBody({ code, message }: Refusal): string {
  return `${JSON.stringify({ error: { code: 'bad_request', message, details: [{ code, message }] } })}\n`;
}

/**
 * Answers `reply` with `refusal` ({@link refusalBody}); with `close`, the connection is closed
 * after it (`Connection: close`), for a request whose framing or sender another reader of the
 * connection might see otherwise. The access log gets its line from the `onResponse` hook.
 */
export function sendRefusal(reply: FastifyReply, refusal: Refusal, close = false): void {
  if (close) void reply.header('connection', 'close');
  void reply
    .code(refusal.status)
    .type('application/json; charset=utf-8')
    .send(refusalBody(refusal));
}
