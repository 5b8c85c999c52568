// Figures are printed as `bench: <name> = <value> <unit>` and written to bench/results.json.
import { writeFileSync } from 'node:fs';

const results = {};

/** Records one figure; a ratio's name ends in `_ratio`. */
export function record(name, value, unit) {
  const rounded = Math.round(value * 1000) / 1000;
  results[name] = { value: rounded, unit };
  console.log(`bench: ${name} = ${rounded} ${unit}`);
}

export function writeResults() {
  writeFileSync(
    new URL('../results.json', import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
}
