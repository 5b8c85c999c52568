import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { TSchema } from '@sinclair/typebox';
import { DomainError, type ErrorDetail } from './error-codes.js';
import { toDetails } from './error-details.js';
import { envelopeSchema, type EventEnvelope, type RequestEnvelope } from './envelope.js';
import { EventPayloadSchemas } from './event-payloads.js';
import { RequestSchemas } from './request-payloads.js';
import { ManifestSchema, type Manifest } from './manifest.schema.js';
import { SEMVER_NUMBERS_FORMAT, semverNumbersAreSafe } from './semver-numbers.js';
import type { EventSubject, RequestSubject } from './subjects.js';
import { unstorableCharacters } from './stored-text.js';
import { manifestControlCharacters, repeatedNames } from './manifest-rules.js';
import { explainQueryNumbers, readQueryNumbers } from './query-text.js';

/**
 * One strict Ajv for every contract: unknown keywords and loose types are schema bugs, and a
 * number must be finite. `verbose` keeps each failed schema on its error, so {@link toDetails}
 * can list the values of an enum.
 */
export const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
/**
 * The same, filling defaults, for query strings. It does not coerce: Ajv would take "Infinity",
 * "0x10", "1e1" or " 5" as numbers; {@link readQueryNumbers} reads plain decimal text only.
 */
const queryAjv = new Ajv({
  strict: true,
  allErrors: true,
  allowUnionTypes: true,
  verbose: true,
  useDefaults: true,
});
for (const instance of [ajv, queryAjv]) {
  (addFormats as unknown as (a: Ajv) => Ajv)(instance);
  instance.addFormat(SEMVER_NUMBERS_FORMAT, { type: 'string', validate: semverNumbersAreSafe });
}

/**
 * Returns a checker that throws a coded error (`validation_failed`) listing every problem. The
 * schema is compiled on the first check, not at import: importing the contracts (every plugin
 * worker and sandbox process does, through the policy) must not pay for compiling every schema
 * (~0.8 s of CPU).
 *
 * With `coerce`, the value is a flat query (name to text) for an object schema: a property that
 * takes an integer or number is read from plain decimal text only ("5", "-3", "2.5"; not "+5",
 * " 5", "5.0" for an integer, "1e1", "0x10", "Infinity"), defaults are filled, and each problem
 * with a number names the parameter and its range ("wait must be an integer from 0 to 120,
 * written in decimal digits"). The checker then returns the read copy.
 */
export function compileChecker<T>(
  schema: TSchema,
  what: string,
  options: { coerce?: boolean } = {},
): (value: unknown) => T {
  let validate: ValidateFunction | undefined;
  return (value: unknown): T => {
    validate ??= (options.coerce ? queryAjv : ajv).compile(schema);
    const read = options.coerce ? readQueryNumbers(schema, value) : value;
    if (validate(read)) return read as T;
    const details = toDetails(validate.errors ?? []);
    throw new DomainError(
      'validation_failed',
      `invalid ${what}`,
      options.coerce ? explainQueryNumbers(schema, details) : details,
    );
  };
}

const eventCheckers = new Map<string, (v: unknown) => EventEnvelope>(
  Object.entries(EventPayloadSchemas).map(([s, schema]) => [
    s,
    compileChecker(envelopeSchema(s, schema), `${s} event`),
  ]),
);
const requestCheckers = new Map<string, (v: unknown) => RequestEnvelope>(
  Object.entries(RequestSchemas).map(([s, { request }]) => [
    s,
    compileChecker(envelopeSchema(s, request), `${s} request`),
  ]),
);
const replyCheckers = new Map<string, (v: unknown) => unknown>(
  Object.entries(RequestSchemas).map(([s, { reply }]) => [s, compileChecker(reply, `${s} reply`)]),
);

function checkerFor<T>(
  checkers: Map<string, (v: unknown) => T>,
  subject: string,
): (v: unknown) => T {
  const check = checkers.get(subject);
  if (!check) throw new DomainError('bad_request', `unknown subject ${subject}`);
  return check;
}

/** Validates an event envelope against the schema of its subject. */
export function validateEventEnvelope<S extends EventSubject>(
  subject: S,
  value: unknown,
): EventEnvelope<S> {
  return checkerFor(eventCheckers, subject)(value) as EventEnvelope<S>;
}

/** Validates a request envelope against the schema of its subject. */
export function validateRequestEnvelope<S extends RequestSubject>(
  subject: S,
  value: unknown,
): RequestEnvelope<S> {
  return checkerFor(requestCheckers, subject)(value) as RequestEnvelope<S>;
}

/** Validates the data of a reply against the reply schema of its subject. */
export function validateReplyData(subject: RequestSubject, value: unknown): unknown {
  return checkerFor(replyCheckers, subject)(value);
}

const checkManifestSchema = compileChecker<Manifest>(ManifestSchema, 'plugin manifest');

/**
 * Validates plugin.json; the error (`validation_failed`) lists every problem found: the
 * schema's; each string or key that holds NUL or a lone surrogate, which no service could
 * store, and each human-read string that holds a control character (`invalid_characters`,
 * see {@link manifestControlCharacters}); and, for a manifest the schema accepts, each repeated
 * name (`duplicate_name`, see {@link repeatedNames}).
 */
export function validateManifest(value: unknown): Manifest {
  const text = [...unstorableCharacters(value), ...manifestControlCharacters(value)];
  let manifest: Manifest | undefined;
  let schema: ErrorDetail[] = [];
  try {
    manifest = checkManifestSchema(value);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    schema = error.details;
  }
  const details = [...schema, ...text, ...(manifest ? repeatedNames(manifest) : [])];
  if (manifest && details.length === 0) return manifest;
  throw new DomainError('validation_failed', 'invalid plugin manifest', details);
}
