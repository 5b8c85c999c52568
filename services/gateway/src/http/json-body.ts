import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError, hasDuplicateKeys, nestsDeeperThan } from '@convergio/contracts';
import type { GatewayLimits } from '../config/gateway.config.js';
import { jsonEncodingRefusal } from './json-encoding.js';
import { tooDeep, tooLarge } from './limit-errors.js';

/**
 * The gateway's body parsing, set before the application listens: `application/json` bodies of
 * at most GATEWAY_MAX_INVOKE_BYTES, in UTF-8 without a byte order mark (400 `bad_request`
 * saying so, see jsonEncodingRefusal), nested at most GATEWAY_MAX_JSON_DEPTH deep. A body of any
 * other type never gets here (refuseOtherBodies refuses it first, and the submit route reads its
 * multipart body itself); the catch-all parser only meets empty bodies of another type.
 */
export function parseJsonWithinLimits(app: NestFastifyApplication, limits: GatewayLimits): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: limits.GATEWAY_MAX_INVOKE_BYTES },
    (_request, bytes, done) => {
      try {
        const refused = jsonEncodingRefusal(bytes as Buffer);
        if (refused) throw refused;
        done(
          null,
          parseJsonBody((bytes as Buffer).toString('utf8'), limits.GATEWAY_MAX_JSON_DEPTH),
        );
      } catch (error) {
        done(error as Error);
      }
    },
  );
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null));
}

/**
 * A JSON request body: an object or an array (other JSON texts are refused, as body-parser's
 * strict mode did), nested at most `maxDepth` deep (400 `json_too_deep`, checked before any
 * guard, pipe or handler walks it), each key at most once in an object (see hasDuplicateKeys);
 * an empty body is no body.
 * @throws DomainError `bad_request` for text that is not such JSON (detail `duplicate_key` for a
 * repeated key), `validation_failed` when too deep.
 */
export function parseJsonBody(text: string, maxDepth: number): unknown {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return undefined;
  let body: unknown;
  try {
    if (first !== '{' && first !== '[') throw new Error('it is neither an object nor an array');
    body = JSON.parse(text);
  } catch (error) {
    throw new DomainError(
      'bad_request',
      `the JSON body cannot be read: ${(error as Error).message.slice(0, 200)}`,
    );
  }
  if (nestsDeeperThan(body, maxDepth)) throw tooDeep('the request body', maxDepth);
  if (hasDuplicateKeys(text, body))
    throw new DomainError(
      'bad_request',
      'the JSON body names a key more than once in one object: send each key once (JSON.parse would keep the last one, other readers the first)',
      [{ code: 'duplicate_key', message: 'a key appears more than once in one object' }],
    );
  return body;
}

/**
 * Fastify's refusal of a JSON body over its limit as a 413 naming the limit and its variable;
 * undefined for anything else. Only JSON bodies are read whole (parseJsonWithinLimits).
 */
export function jsonBodyError(raised: unknown, limits: GatewayLimits): DomainError | undefined {
  const { code } = (raised ?? {}) as { code?: unknown };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return tooLarge(
      'the JSON body',
      'body_too_large',
      limits.GATEWAY_MAX_INVOKE_BYTES,
      'GATEWAY_MAX_INVOKE_BYTES',
    );
  return undefined;
}
