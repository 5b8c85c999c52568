import { createHash, randomUUID } from 'node:crypto';
import { ENVELOPE_VERSION, type Envelope } from '@convergio/contracts';
import { currentMessageContext } from './message-context.js';

/**
 * Builds an envelope. Inside a handler the id is derived from the message being
 * handled, so a redelivered message republishes the same ids and JetStream
 * de-duplicates them; the correlation id is carried over.
 */
export function createEnvelope<T extends string, D>(
  type: T,
  data: D,
  source: string,
  correlationId?: string,
): Envelope<T, D> {
  const ctx = currentMessageContext();
  const id = ctx ? deriveId(ctx.messageId, type, ctx.published++) : randomUUID();
  return {
    id,
    type,
    version: ENVELOPE_VERSION,
    occurred_at: new Date().toISOString(),
    source,
    correlation_id: correlationId ?? ctx?.correlationId ?? id,
    data,
  };
}

/** A UUID-shaped id that is a pure function of its inputs. */
function deriveId(causeId: string, type: string, n: number): string {
  const h = createHash('sha256').update(`${causeId}\n${type}\n${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
