import { Ajv, type Options } from 'ajv';
import { RE2JS } from 're2js';
import type { ErrorDetail } from '@convergio/contracts';
// Not the package's index: plugin workers import this module, and need none of the contracts.
import { toDetails } from '@convergio/contracts/error-details';

type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;
// Ajv shares compiled patterns by their toString(), so it must tell patterns apart.
type RegExpLike = ReturnType<RegExpEngine> & { toString(): string };

/**
 * How large and deep a tool's `input_schema` may be: the operator settings
 * `INPUT_SCHEMA_MAX_BYTES` and `INPUT_SCHEMA_MAX_DEPTH`, held alike by the gateway, verification
 * and the executor. Plain data (it crosses into plugin workers).
 */
export interface InputSchemaBounds {
  /** Largest schema, serialized as JSON, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays (the schema itself is level 1). */
  maxDepth: number;
}

/** The bounds when the operator sets none: 64 KiB and 32 levels. */
export const DEFAULT_INPUT_SCHEMA_BOUNDS: Readonly<InputSchemaBounds> = Object.freeze({
  maxBytes: 64 * 1024,
  maxDepth: 32,
});
/**
 * Regular-expression work one validation may do, in RE2 program instructions times characters
 * scanned (an upper bound of what the linear-time engine does; about 10 ns a unit measured here).
 */
export const PATTERN_WORK_BUDGET = 20_000_000;
/** Problems listed when input fails its schema. */
const MAX_DETAILS = 100;
const MAX_MESSAGE = 500;

/** Checks one input against a tool's schema: throws a {@link ToolInputRefusal}, or returns. */
export type ToolInputCheck = (input: unknown) => void;

/** Why a tool input was refused: `invalid` (the input does not match) or `too_costly`. */
export class ToolInputRefusal extends Error {
  override readonly name = 'ToolInputRefusal';
  constructor(
    readonly reason: 'invalid' | 'too_costly',
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
  }
}

/**
 * What is wrong with a tool's `input_schema`, as findings: `input_schema_too_deep`,
 * `input_schema_too_large` (beyond `bounds`), or `input_schema_invalid` (Ajv cannot compile it,
 * a pattern needs backtracking, it is `$async`). Empty when the executor can check input against it.
 */
export function inputSchemaProblems(
  schema: unknown,
  path: string,
  bounds: InputSchemaBounds,
): ErrorDetail[] {
  const beyond = inputSchemaBoundsProblems(schema, path, bounds);
  if (beyond.length) return beyond;
  try {
    compileToolInputSchema(schema);
  } catch (error) {
    return [problem('input_schema_invalid', `input_schema: ${(error as Error).message}`, path)];
  }
  return [];
}

/**
 * The size and depth findings of {@link inputSchemaProblems}: what must hold before compiling.
 * Each message names the limit and the setting that raises it.
 */
export function inputSchemaBoundsProblems(
  schema: unknown,
  path: string,
  bounds: InputSchemaBounds,
): ErrorDetail[] {
  if (exceedsDepth(schema, bounds.maxDepth))
    return [
      problem(
        'input_schema_too_deep',
        `input_schema nests objects and arrays deeper than ${bounds.maxDepth} levels, the limit set by INPUT_SCHEMA_MAX_DEPTH`,
        path,
      ),
    ];
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > bounds.maxBytes)
    return [
      problem(
        'input_schema_too_large',
        `input_schema is ${bytes} bytes as JSON, more than ${bounds.maxBytes}, the limit set by INPUT_SCHEMA_MAX_BYTES`,
        path,
      ),
    ];
  return [];
}

const problem = (code: string, message: string, path: string): ErrorDetail => ({
  code,
  message: message.slice(0, MAX_MESSAGE),
  path,
});

/**
 * Compiles a tool's `input_schema` (plugin-controlled, so untrusted) into a check. Patterns run on
 * RE2, which never backtracks, within {@link PATTERN_WORK_BUDGET} per check; `format` is an
 * annotation only; a fresh Ajv per schema, so one plugin's `$id` can neither collide with nor be
 * `$ref`'d by another's. Throws when the schema does not compile, including patterns RE2 cannot
 * run (backreferences, lookaround) and `$async` schemas. Call {@link inputSchemaProblems} first
 * for the size and depth bounds.
 */
export function compileToolInputSchema(schema: unknown): ToolInputCheck {
  const meter = { left: PATTERN_WORK_BUDGET };
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
    // Inlining copies a referenced schema into every place that uses it: a small schema could
    // compile into megabytes of code.
    inlineRefs: false,
    code: { regExp: linearRegExp(meter) },
  });
  ajv.removeKeyword('uniqueItems');
  ajv.addKeyword(LINEAR_UNIQUE_ITEMS);
  const validate = ajv.compile(schema as object);
  if ((validate as { $async?: unknown }).$async)
    throw new Error('$async schemas are not supported');
  return (input) => {
    meter.left = PATTERN_WORK_BUDGET;
    let valid: boolean;
    try {
      valid = validate(input);
    } catch (error) {
      if (error instanceof PatternBudgetExceeded)
        throw new ToolInputRefusal('too_costly', error.message, [
          { code: 'schema.pattern_budget', message: error.message, path: '/' },
        ]);
      // A recursive schema against deeply nested input can exhaust the stack.
      throw new ToolInputRefusal('too_costly', `input could not be checked: ${String(error)}`, []);
    }
    if (!valid)
      throw new ToolInputRefusal(
        'invalid',
        'input does not match the tool input_schema',
        toDetails((validate.errors ?? []).slice(0, MAX_DETAILS)),
      );
  };
}

class PatternBudgetExceeded extends Error {}

/**
 * `uniqueItems` in linear time. Ajv compares every pair of items unless the schema types them as
 * scalars: 8,000 objects took 1.3 to 2.6 s, and a 1 MiB input holds about 95,000 (some 200 s),
 * so any invoker could time a plugin's calls out and open its circuit breaker. A per-array
 * `maxItems` would not bound it (an input may hold many arrays). Here each item is written once
 * as canonical JSON (keys sorted: JSON Schema's equality, where key order does not count and
 * 1 equals 1.0) into a set: the work is the size of the items, once per `uniqueItems` around them.
 */
const LINEAR_UNIQUE_ITEMS = {
  keyword: 'uniqueItems',
  type: 'array' as const,
  schemaType: 'boolean' as const,
  validate: uniqueItems,
};

function uniqueItems(unique: boolean, data: unknown[]): boolean {
  if (!unique) return true;
  const seen = new Map<string, number>();
  for (let i = 0; i < data.length; i++) {
    const key = canonicalJson(data[i]);
    const first = seen.get(key);
    if (first !== undefined) {
      uniqueItems.errors = [
        {
          keyword: 'uniqueItems',
          message: `must NOT have duplicate items (items ## ${first} and ${i} are identical)`,
          params: { i: first, j: i },
        },
      ];
      return false;
    }
    seen.set(key, i);
  }
  return true;
}
uniqueItems.errors = [] as object[];

/** JSON with object keys sorted, so that equal JSON values (in JSON Schema's sense) get one text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Ajv's regular-expression engine, on RE2 (linear time), charging each test to `meter`. */
function linearRegExp(meter: { left: number }): RegExpEngine {
  const engine = (pattern: string, flags: string): RegExpLike => {
    let re: RE2JS;
    try {
      re = RE2JS.compile(RE2JS.translateRegExp(pattern));
    } catch (error) {
      throw new Error(
        `pattern ${JSON.stringify(pattern.slice(0, 200))} cannot run without backtracking: ${(error as Error).message}`,
      );
    }
    const instructions = (re.re2().prog as { numInst(): number }).numInst();
    return {
      test(text: string): boolean {
        meter.left -= instructions * (text.length + 1);
        if (meter.left < 0)
          throw new PatternBudgetExceeded(
            'checking this input against the patterns of the tool input_schema would take too long',
          );
        return re.test(text);
      },
      toString: () => `/${pattern}/${flags}`,
    };
  };
  return Object.assign(engine, { code: 'linearRegExp' });
}

function exceedsDepth(value: unknown, levelsLeft: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levelsLeft === 0) return true;
  return Object.values(value).some((child) => exceedsDepth(child, levelsLeft - 1));
}
