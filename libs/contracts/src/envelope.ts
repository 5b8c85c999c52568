import { Type, type TSchema } from '@sinclair/typebox';
import type { EventPayloadMap } from './event-payloads.js';
import type { RequestMap } from './request-payloads.js';
import type { EventSubject, RequestSubject } from './subjects.js';
import type { ErrorCode, ErrorDetail } from './error-codes.js';

/** Version of the envelope format; bump only with a migration path for stored events. */
export const ENVELOPE_VERSION = 1;

/** Every message on the bus, event or request (docs/architecture.md). */
export interface Envelope<T extends string, D> {
  id: string;
  type: T;
  version: typeof ENVELOPE_VERSION;
  occurred_at: string;
  source: string;
  correlation_id: string;
  data: D;
}

export type EventEnvelope<S extends EventSubject = EventSubject> = Envelope<S, EventPayloadMap[S]>;
export type RequestEnvelope<S extends RequestSubject = RequestSubject> = Envelope<S, RequestMap[S]>;

/** The reply to a request: data, or a coded error. */
export type Reply<D> =
  | { ok: true; data: D }
  | { ok: false; error: { code: ErrorCode; message: string; details: ErrorDetail[] } };

const Uuid = Type.String({ format: 'uuid' });

/** JSON Schema of an envelope whose `data` follows `dataSchema`. */
export function envelopeSchema(type: string, dataSchema: TSchema) {
  return Type.Object(
    {
      id: Uuid,
      type: Type.Literal(type),
      version: Type.Literal(ENVELOPE_VERSION),
      occurred_at: Type.String({ format: 'date-time' }),
      source: Type.String({ minLength: 1, maxLength: 100 }),
      correlation_id: Type.String({ minLength: 1, maxLength: 200 }),
      data: dataSchema,
    },
    { additionalProperties: false },
  );
}
