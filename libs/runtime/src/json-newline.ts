import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify `onSend` hook: every JSON response ends with a newline, so a response printed by `curl`
 * does not run into the shell prompt that follows it. A hook rather than a reply serializer:
 * Fastify's not-found context does not take the instance's serializer.
 */
export function jsonEndsWithNewline(
  _request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (error: null, payload: unknown) => void,
): void {
  const type = reply.getHeader('content-type');
  done(
    null,
    typeof payload === 'string' &&
      typeof type === 'string' &&
      type.startsWith('application/json') &&
      !payload.endsWith('\n')
      ? `${payload}\n`
      : payload,
  );
}
