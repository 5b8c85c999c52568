import { createHash, createHmac, randomUUID } from 'node:crypto';
import { ENVELOPE_VERSION, type Envelope } from '@convergio/contracts';
import type { IdDerivation, MessageContext } from './message-context.js';

/**
 * Builds an envelope. While a stored event is handled, the id is derived from that delivery
 * with the handling service's key, so a redelivered event republishes the same ids and
 * JetStream de-duplicates them, yet no other bus client can compute an id ahead and publish it
 * first to have the real event dropped as a duplicate. Elsewhere (requests, timers) it is
 * random. The correlation id is the one of the message or request being handled (`ctx`), else
 * the envelope's own id.
 */
export function createEnvelope<T extends string, D>(
  type: T,
  data: D,
  source: string,
  ctx?: MessageContext,
): Envelope<T, D> {
  const id = ctx?.derivation
    ? deriveId(ctx.derivation, source, type, ctx.published++)
    : randomUUID();
  return {
    id,
    type,
    version: ENVELOPE_VERSION,
    occurred_at: new Date().toISOString(),
    source,
    correlation_id: ctx?.correlationId ?? id,
    data,
  };
}

/**
 * The key a service derives its event ids with (32 bytes): from its bus secret (NATS password
 * or NKEY seed), which its replicas share and no other service knows. Without one (an
 * anonymous development bus, where any client may publish anything anyway) it is a hash of the
 * service name.
 */
export function eventIdKey(service: string, secret: string | undefined): Buffer {
  const label = `convergio event ids\n${service}`;
  return secret === undefined
    ? createHash('sha256').update(label).digest()
    : createHmac('sha256', secret).update(label).digest();
}

/** A UUID-shaped keyed hash of the delivery, the source, the type and the envelope's rank. */
function deriveId({ delivery, key }: IdDerivation, source: string, type: string, n: number) {
  const h = createHmac('sha256', key).update(`${delivery}\n${source}\n${type}\n${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
