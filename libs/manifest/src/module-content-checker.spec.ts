import { readdirSync } from 'node:fs';
import { aManifest, exampleModule } from '@convergio/testing';
import { CheckCache } from './check-cache.js';
import { checkSubmission, type SubmissionContext } from './check-submission.js';
import { EMPTY_KEYRING } from './keyring.js';
import { ModuleContentChecker } from './module-content-checker.js';
import { corpusSubmissionContext } from './testing/index.js';

const context = (checker: ModuleContentChecker, cache: CheckCache): SubmissionContext => ({
  ...corpusSubmissionContext(EMPTY_KEYRING),
  cache,
  checkContent: (input) => checker.check(input),
});

/** Threads of this process (Linux): a worker thread counts while it lives. */
const threads = () => readdirSync('/proc/self/task').length;

describe('module content checks in a worker', () => {
  const greet = exampleModule('greet.wasm');
  const manifest = aManifest({ id: 'greet' }, greet);

  it('finds what the same check on this thread finds', async () => {
    const inWorker = await checkSubmission(
      manifest,
      greet,
      context(new ModuleContentChecker(), new CheckCache()),
    );
    const here = await checkSubmission(manifest, greet, {
      ...context(new ModuleContentChecker(), new CheckCache()),
      checkContent: undefined,
    });
    expect(inWorker).toEqual(here);
    expect(inWorker.ok).toBe(true);
  }, 60_000);

  it('rejects a check over its budget with module_check_timeout, leaves no worker behind and caches nothing', async () => {
    const before = threads();
    const cache = new CheckCache();
    // One check at a time: the second waits for the first's place, so a place kept would hang it.
    const checker = new ModuleContentChecker({ budgetMs: 1, concurrency: 1 });
    await checkSubmission(manifest, greet, context(checker, cache));
    const outOfTime = await checkSubmission(manifest, greet, context(checker, cache));
    expect(outOfTime).toEqual({
      ok: false,
      findings: [
        {
          code: 'module_check_timeout',
          message: 'checking the module took longer than its budget of 1 ms',
        },
      ],
    });
    expect(threads()).toBe(before);
    // The same bytes, checked again with time enough, are checked anew.
    expect(
      await checkSubmission(manifest, greet, context(new ModuleContentChecker(), cache)),
    ).toMatchObject({ ok: true });
    expect(cache.hits).toBe(0);
  }, 60_000);

  it('rejects a check whose worker runs out of heap with module_check_memory_exceeded; the process goes on', async () => {
    const before = threads();
    const checker = new ModuleContentChecker({
      resourceLimits: { maxOldGenerationSizeMb: 2, maxYoungGenerationSizeMb: 1 },
    });
    const outOfMemory = await checkSubmission(manifest, greet, context(checker, new CheckCache()));
    expect(outOfMemory).toMatchObject({
      ok: false,
      findings: [{ code: 'module_check_memory_exceeded' }],
    });
    expect(threads()).toBe(before);
  }, 60_000);
});
