import type { TObject, TSchema } from '@sinclair/typebox';
import { describeExpectation } from './describe-expectation.js';
import { isSecret } from './secret.js';

/** Renders the variables of a config schema as a markdown table for a service's docs. */
export function describeConfig(schema: TObject): string {
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties).map(([name, property]: [string, TSchema]) =>
    [
      `\`${name}\``,
      describeExpectation(property),
      defaultOf(property, required.has(name)),
      property.description ?? '',
      isSecret(property) ? 'yes' : 'no',
    ].map(escapeCell),
  );
  return [
    '| Variable | Type | Default | Description | Secret |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

function defaultOf(property: TSchema, required: boolean): string {
  if ('default' in property)
    return isSecret(property) ? '<redacted>' : `\`${String(property.default)}\``;
  return required ? '(required)' : '(optional)';
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
