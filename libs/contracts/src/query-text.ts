import type { TSchema } from '@sinclair/typebox';
import type { ErrorDetail } from './error-codes.js';

/** An integer as people write one: digits, an optional minus, no leading zeros, not "-0". */
const INTEGER_TEXT = /^(0|-?[1-9]\d*)$/;
/** A number: the same, with an optional fraction after a dot. */
const NUMBER_TEXT = /^(0|-?[1-9]\d*|-?0\.\d+|-?[1-9]\d*\.\d+)$/;

interface NumberSchema {
  type: 'integer' | 'number';
  minimum?: number;
  maximum?: number;
}

/** The properties of an object schema that take a number, by name. */
function numberProperties(schema: TSchema): Map<string, NumberSchema> {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  return new Map(
    Object.entries(properties ?? {}).filter(
      (entry): entry is [string, NumberSchema] =>
        entry[1].type === 'integer' || entry[1].type === 'number',
    ),
  );
}

/**
 * The number `text` stands for when it is written in plain decimal ("12", "-3", "0.5"), finite
 * and, for an integer, safe; undefined for anything else ("0x10", "1e1", "Infinity", " 5", "+5",
 * "", "05"). Shared by query parameters and environment settings.
 */
export function decimalNumber(text: string, type: 'integer' | 'number'): number | undefined {
  if (!(type === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(text)) return undefined;
  const value = Number(text);
  return (type === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value))
    ? value
    : undefined;
}

/**
 * Reads the text of a flat query (name to string, as the HTTP layer parses it) for an object
 * schema: a value whose property takes an integer or number becomes that number when it is
 * written in plain decimal ({@link decimalNumber}); anything else ("0x10", "1e1", "Infinity",
 * " 5", "+5", "") stays text, which the schema then refuses. Returns a copy; other values are
 * left alone.
 */
export function readQueryNumbers(schema: TSchema, query: unknown): unknown {
  if (typeof query !== 'object' || query === null || Array.isArray(query)) return query;
  const numbers = numberProperties(schema);
  const read: Record<string, unknown> = { ...query };
  for (const [name, property] of numbers) {
    const text = read[name];
    if (typeof text !== 'string') continue;
    const value = decimalNumber(text, property.type);
    if (value !== undefined) read[name] = value;
  }
  return read;
}

/**
 * Says, in each detail about a query's number, which parameter it is and what it takes
 * ("wait must be an integer from 0 to 120, written in decimal digits"), instead of Ajv's
 * "must be integer" or "must be <= 120".
 */
export function explainQueryNumbers(schema: TSchema, details: ErrorDetail[]): ErrorDetail[] {
  const numbers = numberProperties(schema);
  return details.map((detail) => {
    const name = detail.path?.slice(1) ?? '';
    const property = numbers.get(name);
    return property ? { ...detail, message: `${name} ${numberRule(property)}` } : detail;
  });
}

function numberRule({ type, minimum, maximum }: NumberSchema): string {
  const kind = type === 'integer' ? 'an integer' : 'a number';
  const range =
    minimum !== undefined && maximum !== undefined
      ? ` from ${minimum} to ${maximum}`
      : minimum !== undefined
        ? ` of at least ${minimum}`
        : maximum !== undefined
          ? ` of at most ${maximum}`
          : '';
  return `must be ${kind}${range}, written in decimal digits`;
}
