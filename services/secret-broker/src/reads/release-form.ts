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
/**
 * Brokered modes by secret id in lower case; a secret not named is released whole. Look ids up
 * with {@link releaseFormOf}: Azure Key Vault names ignore case, so neither may a form.
 */
export type ReleaseForms = ReadonlyMap<string, ReleaseForm>;

/** The form configured for secret `id`, whatever the case it is spelled in. */
export const releaseFormOf = (forms: ReleaseForms, id: string): ReleaseForm | undefined =>
  forms.get(id.toLowerCase());

/**
 * Parses SECRET_RELEASE_FORMS (JSON); undefined means no secret is limited. Two ids that differ
 * only in case name one secret (as in Azure Key Vault): refused.
 */
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
  const forms = new Map(Object.entries(parsed).map(([id, form]) => [id.toLowerCase(), form]));
  if (forms.size !== Object.keys(parsed).length)
    return { ok: false, reason: 'secret ids that differ only in case (they name one secret)' };
  return { ok: true, value: forms };
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
