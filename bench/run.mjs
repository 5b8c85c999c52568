// npm run bench: every benchmark, each against a baseline measured in the same run.
import { writeResults } from './lib/results.mjs';

const suites = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['sandbox', 'pool', 'e2e', 'verify', 'audit', 'secrets', 'outbox'];
for (const suite of suites) {
  console.log(`# ${suite}`);
  const { run } = await import(`./${suite}.bench.mjs`);
  await run();
}
writeResults();
