import type { WorkerOptions } from 'node:worker_threads';

/** How to start a worker: the script, and whether it is an eval'd bootstrap. */
export interface WorkerEntry {
  filename: string | URL;
  options: Pick<WorkerOptions, 'eval'>;
}

/**
 * How to start the worker script `script` (a path without extension, relative to `here`, the
 * caller's `import.meta.url`). A compiled library starts `<script>.js` directly. When `here` is
 * TypeScript source (the test suites of this and dependent projects), the worker would get a
 * `.ts` file Node 20 cannot run, so it first registers the test TypeScript loader hooks.
 */
export function workerEntry(here: string, script: string): WorkerEntry {
  if (!here.endsWith('.ts')) return { filename: new URL(`${script}.js`, here), options: {} };
  const hooks = new URL('./testing/ts-hooks.mjs', import.meta.url).href;
  const source = new URL(`${script}.ts`, here).href;
  const bootstrap = `import('node:module').then((m) => { m.register(${JSON.stringify(hooks)}); return import(${JSON.stringify(source)}); })`;
  return { filename: bootstrap, options: { eval: true } };
}

/** How to start a plugin worker (`worker/plugin-worker-main`). */
export function pluginWorkerEntry(): WorkerEntry {
  return workerEntry(import.meta.url, './worker/plugin-worker-main');
}
