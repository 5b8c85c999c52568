import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { SECRET_ID_PATTERN } from '@convergio/contracts';

const ReleaseFormSchema = Type.Union([
  Type.Object({ last: Type.Integer({ minimum: 1, maximum: 64 }) }, { additionalProperties: false }),
  Type.Object(
    { first: Type.Integer({ minimum: 1, maximum: 64 }) },
    { additionalProperties: false },
  ),
]);
const ReleaseFormsSchema = Type.Record(Type.String(), ReleaseFormSchema);
const secretId = new RegExp(SECRET_ID_PATTERN);

/** What a plugin gets of one secret in brokered mode: only its last or first n characters. */
export type ReleaseForm = Static<typeof ReleaseFormSchema>;
/** Brokered modes by secret id; a secret not named is released whole. */
export type ReleaseForms = ReadonlyMap<string, ReleaseForm>;

/** Parses SECRET_RELEASE_FORMS (JSON); undefined means no secret is limited. */
export function parseReleaseForms(
  text: string | undefined,
): { ok: true; value: ReleaseForms } | { ok: false; reason: string } {
  if (text === undefined) return { ok: true, value: new Map() };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'JSON' };
  }
  if (
    Array.isArray(parsed) ||
    !Value.Check(ReleaseFormsSchema, parsed) ||
    !Object.keys(parsed).every((id) => secretId.test(id))
  )
    return {
      ok: false,
      reason: 'a JSON object of secret id → {"last": 1..64} or {"first": 1..64}',
    };
  return { ok: true, value: new Map(Object.entries(parsed)) };
}

/**
 * The part of `value` a plugin may see: whole without a form, else its last or first n code
 * points (never splitting a surrogate pair). A value no longer than n is released whole.
 */
export function applyReleaseForm(value: string, form: ReleaseForm | undefined): string {
  if (!form) return value;
  const chars = [...value];
  return 'last' in form ? chars.slice(-form.last).join('') : chars.slice(0, form.first).join('');
}
