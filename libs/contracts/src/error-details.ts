import type { ErrorObject } from 'ajv';
import type { ErrorDetail } from './error-codes.js';
import { SEMVER_NUMBERS_FORMAT, SEMVER_NUMBERS_MESSAGE } from './semver-numbers.js';

/** Formats of our own, with what a value must be (Ajv would say only `must match format "..."`). */
const FORMAT_MESSAGES: Record<string, string> = { [SEMVER_NUMBERS_FORMAT]: SEMVER_NUMBERS_MESSAGE };

const PATTERN_FORMS = new Map<string, string>();

/**
 * Names in words what a regular expression of the platform's schemas takes (`form`, e.g.
 * "lowercase letters, digits and dashes, at most 63 characters"), so that {@link toDetails}
 * answers a value it refuses `must be <form>` rather than quoting the expression, whichever
 * schema holds it. Returns `pattern`, to be a schema's `pattern`.
 */
export function describedPattern(pattern: string, form: string): string {
  PATTERN_FORMS.set(pattern, `must be ${form}`);
  return pattern;
}

/**
 * Ajv errors as stable details: one entry per problem, with a JSON pointer path. A value outside
 * an enum (`enum`, or a union of literals as TypeBox writes one) is one `schema.enum` detail
 * listing the allowed values, instead of one line per literal; a value that is not null where a
 * schema or null is taken (TypeBox's `Union([X, Null()])`) gets X's details only, without
 * `must be null` and `must match a schema in anyOf`; a string failing a pattern that
 * {@link describedPattern} named is told `must be <its form>` instead of the regular expression.
 * Enums and nullables need an Ajv with `verbose`.
 * A module of its own (`@convergio/contracts/error-details`) so that plugin workers, which check
 * tool input with it, do not load every contract.
 */
export function toDetails(errors: ErrorObject[]): ErrorDetail[] {
  const enums = errors.filter((e) => literalsOf(e) !== undefined);
  const withinEnum = (e: ErrorObject) =>
    enums.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`));
  const nullBranches = errors.flatMap((e) => {
    const branch = nullBranchOf(e);
    return branch === undefined ? [] : [`${e.schemaPath}/${branch}/`];
  });
  const ofNullable = (e: ErrorObject) =>
    nullBranchOf(e) !== undefined || nullBranches.some((at) => e.schemaPath.startsWith(at));
  return errors
    .filter((e) => !withinEnum(e) && !ofNullable(e))
    .map((e) => {
      const literals = literalsOf(e);
      if (literals)
        return { code: 'schema.enum', message: mustBeOneOf(literals), path: e.instancePath || '/' };
      const missing = e.keyword === 'required' ? `/${String(e.params.missingProperty)}` : '';
      const extra =
        e.keyword === 'additionalProperties' ? `/${String(e.params.additionalProperty)}` : '';
      const format = e.keyword === 'format' ? FORMAT_MESSAGES[String(e.params.format)] : undefined;
      const pattern =
        e.keyword === 'pattern' ? PATTERN_FORMS.get(String(e.params.pattern)) : undefined;
      return {
        code: `schema.${e.keyword}`,
        message:
          (e.keyword === 'additionalProperties' && knownNames(e)) ||
          format ||
          pattern ||
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

/** The index of the `{ type: 'null' }` branch of a two-branch `anyOf` error, if it has one. */
function nullBranchOf(e: ErrorObject): number | undefined {
  if (e.keyword !== 'anyOf' || !Array.isArray(e.schema) || e.schema.length !== 2) return undefined;
  const branch = (e.schema as unknown[]).findIndex(
    (b) => typeof b === 'object' && b !== null && (b as { type?: unknown }).type === 'null',
  );
  return branch < 0 ? undefined : branch;
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
