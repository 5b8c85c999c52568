import type { ErrorObject } from 'ajv';
import type { ErrorDetail } from './error-codes.js';
import { SEMVER_NUMBERS_FORMAT, SEMVER_NUMBERS_MESSAGE } from './semver-numbers.js';

/** Formats of our own, with what a value must be (Ajv would say only `must match format "..."`). */
const FORMAT_MESSAGES: Record<string, string> = { [SEMVER_NUMBERS_FORMAT]: SEMVER_NUMBERS_MESSAGE };

/**
 * Ajv errors as stable details: one entry per problem, with a JSON pointer path. A value outside
 * an enum (`enum`, or a union of literals as TypeBox writes one) is one `schema.enum` detail
 * listing the allowed values, instead of one line per literal; that needs an Ajv with `verbose`.
 * A module of its own (`@convergio/contracts/error-details`) so that plugin workers, which check
 * tool input with it, do not load every contract.
 */
export function toDetails(errors: ErrorObject[]): ErrorDetail[] {
  const enums = errors.filter((e) => literalsOf(e) !== undefined);
  const withinEnum = (e: ErrorObject) =>
    enums.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`));
  return errors
    .filter((e) => !withinEnum(e))
    .map((e) => {
      const literals = literalsOf(e);
      if (literals)
        return { code: 'schema.enum', message: mustBeOneOf(literals), path: e.instancePath || '/' };
      const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
      const extra =
        e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
      const format = e.keyword === 'format' ? FORMAT_MESSAGES[String(e.params.format)] : undefined;
      return {
        code: `schema.${e.keyword}`,
        message:
          (e.keyword === 'additionalProperties' && knownNames(e)) ||
          format ||
          e.message ||
          'invalid',
        path: `${e.instancePath}${missing}${extra}` || '/',
      };
    });
}

/**
 * For a property an object does not take: the names it takes, when its schema lists them all
 * (no pattern or schema for other names).
 */
function knownNames(e: ErrorObject): string | undefined {
  const parent = e.parentSchema as { properties?: object; patternProperties?: object } | undefined;
  if (!parent?.properties || parent.patternProperties) return undefined;
  const names = Object.keys(parent.properties);
  return names.length === 0
    ? 'is not allowed: this object takes no properties'
    : `is not allowed: the known names are ${names.join(', ')}`;
}

/** The allowed values of an `enum` error or of an `anyOf` whose branches are all `const`. */
function literalsOf(e: ErrorObject): unknown[] | undefined {
  if (e.keyword === 'enum') return e.params.allowedValues as unknown[];
  if (e.keyword !== 'anyOf' || !Array.isArray(e.schema)) return undefined;
  const branches = e.schema as unknown[];
  const isConst = (b: unknown) => typeof b === 'object' && b !== null && 'const' in b;
  return branches.length > 0 && branches.every(isConst) ? branches.map((b) => b.const) : undefined;
}

const mustBeOneOf = (values: unknown[]) =>
  `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
