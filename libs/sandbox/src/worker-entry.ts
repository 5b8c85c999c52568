import type { WorkerOptions } from 'node:worker_threads';

/** How to start a plugin worker: the script, and whether it is an eval'd bootstrap. */
export interface WorkerEntry {
  filename: string | URL;
  options: Pick<WorkerOptions, 'eval'>;
}

/**
 * The compiled library starts `worker/plugin-worker-main.js` directly. When this file runs as
 * TypeScript source (the test suites of this and dependent projects), the worker would get a
 * `.ts` file Node 20 cannot run, so it first registers the test TypeScript loader hooks.
 */
export function pluginWorkerEntry(): WorkerEntry {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    return { filename: new URL('./worker/plugin-worker-main.js', here), options: {} };
  }
  const hooks = new URL('./testing/ts-hooks.mjs', here).href;
  const script = new URL('./worker/plugin-worker-main.ts', here).href;
  const bootstrap = `import('node:module').then((m) => { m.register(${JSON.stringify(hooks)}); return import(${JSON.stringify(script)}); })`;
  return { filename: bootstrap, options: { eval: true } };
}
