/**
 * A tool `input_schema` within every verification bound (about 90 bytes a link, 7 levels deep)
 * whose check doubles its work with each of its `links`: link i is an `anyOf` that checks link
 * i + 1 twice, the first time failing only after it (an `array` an object never is), the second
 * time passing. Any object triggers it. On Ajv, 28 links took 5 s on the 2-core test machine, and
 * each further link doubles that: 32 links is minutes of one thread's time.
 */
export function exponentialInputSchema(links = 32): Record<string, unknown> {
  const $defs: Record<string, unknown> = { [`l${links}`]: { type: 'object' } };
  for (let i = 0; i < links; i++) {
    const next = { $ref: `#/$defs/l${i + 1}` };
    $defs[`l${i}`] = { anyOf: [{ allOf: [next, { type: 'array' }] }, next] };
  }
  return { $defs, $ref: '#/$defs/l0' };
}
