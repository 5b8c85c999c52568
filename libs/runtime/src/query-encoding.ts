import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { sendRefusal } from './refusal-reply.js';

const BAD_QUERY = {
  status: 400,
  code: 'bad_url',
  message:
    'the query string is not valid percent-encoding: each % starts an escape of two hexadecimal digits (%25 for a % itself), and the escaped bytes must be UTF-8',
};

/**
 * Fastify `onRequest` hook refusing a query string that is not valid percent-encoding of UTF-8
 * with 400 `bad_url`, as the router refuses such a path (frameworkErrorReply). Fastify's query
 * parser reads `%ff` as U+FFFD and keeps `%zz` or a cut-off sequence as sent, so a filter would
 * look for text the client never sent. Must run before the not-found and 405 hooks, as the
 * router's refusal of a path does. A query without `%` costs one search for it.
 */
export function queryEncodingHook(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const url = request.raw.url ?? '';
  const query = url.indexOf('?');
  if (query === -1 || !url.includes('%', query)) return done();
  try {
    decodeURIComponent(url.slice(query + 1));
  } catch {
    return sendRefusal(reply, BAD_QUERY);
  }
  done();
}
