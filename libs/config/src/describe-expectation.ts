import type { TSchema } from '@sinclair/typebox';

type SchemaFields = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaFields[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
};

/** Short human description of the values a variable's schema accepts, e.g. `integer (1..65535)`. */
export function describeExpectation(schema: TSchema): string {
  return describeFields(schema as SchemaFields);
}

function describeFields(schema: SchemaFields): string {
  const choices = literalChoices(schema);
  if (choices) return `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`;
  if (schema.anyOf) return schema.anyOf.map(describeFields).join(' or ');

  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  const details = [
    schema.format,
    schema.pattern && `matching /${schema.pattern}/`,
    range(schema.minimum, schema.maximum),
    range(schema.minLength, schema.maxLength, ' chars'),
  ].filter(Boolean);
  return details.length ? `${type} (${details.join(', ')})` : type;
}

// TypeBox renders `Type.Union([Type.Literal('a'), ...])` as anyOf/const and `Type.Enum` likewise.
function literalChoices(schema: SchemaFields): unknown[] | undefined {
  if (schema.enum) return schema.enum;
  if ('const' in schema) return [schema.const];
  if (schema.anyOf?.every((s) => 'const' in s)) return schema.anyOf.map((s) => s.const);
  return undefined;
}

function range(min: number | undefined, max: number | undefined, unit = ''): string | undefined {
  if (min === undefined && max === undefined) return undefined;
  if (max === undefined) return `>= ${min}${unit}`;
  if (min === undefined) return `<= ${max}${unit}`;
  return `${min}..${max}${unit}`;
}
