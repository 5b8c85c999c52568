import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Finding } from '@convergio/contracts';
import { workerEntry } from '@convergio/sandbox';
import type { ModuleContentInput } from './module-content-check.js';

/** Why a module's content could not be checked: the limit it ran into. */
export type ModuleCheckErrorCode =
  'module_check_timeout' | 'module_check_memory_exceeded' | 'module_check_failed';

/** A content check that did not finish: its worker ran out of time or memory, or died. */
export class ModuleCheckError extends Error {
  constructor(
    readonly code: ModuleCheckErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModuleCheckError';
  }
}

/** Options of a {@link ModuleContentChecker}. */
export interface ModuleContentCheckerOptions {
  /** Wall time one check may take, ms, from the start of its worker. */
  budgetMs?: number;
  /** Heap limits of each check's worker. */
  resourceLimits?: ResourceLimits;
  /** Checks run at once, each in a worker of its own; the others wait, their budget not started. */
  concurrency?: number;
}

/**
 * Ten times what the largest module (16 MiB, GATEWAY_MAX_MODULE_BYTES) took to check on a
 * loaded 2-core machine (about 3 s); docs/adr/0020.
 */
export const MODULE_CHECK_BUDGET_MS = 30_000;

/**
 * The checking worker's heap: profiling a 16 MiB module peaks below 200 MiB of heap. Compiled
 * code and the module's bytes are outside the heap and not counted (docs/adr/0020).
 */
export const MODULE_CHECK_RESOURCE_LIMITS: Readonly<ResourceLimits> = Object.freeze({
  maxOldGenerationSizeMb: 512,
  maxYoungGenerationSizeMb: 64,
  stackSizeMb: 4,
});

/**
 * Runs {@link checkModuleContent} off the caller's event loop: each check in a fresh worker
 * thread with a time budget and heap limits, terminated when it ends, however it ends. A check
 * that runs out of time or memory, or whose worker dies, rejects with a {@link ModuleCheckError}
 * naming the limit; the process goes on.
 */
export class ModuleContentChecker {
  private readonly budgetMs: number;
  private readonly resourceLimits: ResourceLimits;
  private readonly concurrency: number;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: ModuleContentCheckerOptions = {}) {
    this.budgetMs = options.budgetMs ?? MODULE_CHECK_BUDGET_MS;
    this.resourceLimits = options.resourceLimits ?? MODULE_CHECK_RESOURCE_LIMITS;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  /** The findings of {@link checkModuleContent}; rejects with a {@link ModuleCheckError}. */
  async check(input: ModuleContentInput): Promise<Finding[]> {
    if (this.running >= this.concurrency)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await this.inWorker(input);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private inWorker(input: ModuleContentInput): Promise<Finding[]> {
    const entry = workerEntry(import.meta.url, './module-content-worker');
    const worker = new Worker(entry.filename, {
      ...entry.options,
      workerData: input,
      resourceLimits: this.resourceLimits,
      env: {},
      argv: [],
    });
    return new Promise<Finding[]>((resolve, reject) => {
      let settled = false;
      // The worker is gone before the caller hears how its check ended.
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void worker.terminate().finally(outcome);
      };
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new ModuleCheckError(
                'module_check_timeout',
                `checking the module took longer than its budget of ${this.budgetMs} ms`,
              ),
            ),
          ),
        this.budgetMs,
      );
      worker.once('message', (findings: Finding[]) => settle(() => resolve(findings)));
      worker.once('error', (error: Error & { code?: string }) =>
        settle(() => reject(workerFailure(error, this.resourceLimits))),
      );
      worker.once('exit', (code) =>
        settle(() =>
          reject(
            new ModuleCheckError(
              'module_check_failed',
              `the module check's worker exited (code ${code}) without an answer`,
            ),
          ),
        ),
      );
    });
  }
}

function workerFailure(error: Error & { code?: string }, limits: ResourceLimits): ModuleCheckError {
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return new ModuleCheckError(
      'module_check_memory_exceeded',
      `checking the module needed more than the check's heap of ${limits.maxOldGenerationSizeMb} MiB`,
    );
  return new ModuleCheckError(
    'module_check_failed',
    `checking the module failed: ${error.message}`,
  );
}
