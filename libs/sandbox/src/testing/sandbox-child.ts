// Runs a module in a SandboxRuntime inside a child process, so that an input which aborts the
// whole process (V8 "Reached heap limit" in a worker cannot be caught) fails a test, not jest.
import { spawn } from 'node:child_process';
import type { CallLimits } from '../call-limits.js';
import type { LoadReport } from './test-runtime.js';

/** What the child saw: the load's refusal code (if any) and each call's outcome. */
export interface ChildOutcome {
  /** Exit code of the child; 0 when it survived and reported. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  report?: LoadReport;
}

/** What the child should do: load `bytes` under `limits`, then call each of `calls` in turn. */
export interface ChildRequest {
  bytes: Uint8Array;
  limits?: Partial<CallLimits>;
  calls?: string[];
}

const hooks = new URL('./ts-hooks.mjs', import.meta.url).href;
const script = new URL('./sandbox-child-main.ts', import.meta.url).href;

/**
 * Loads and calls a module through a test runtime in a fresh `node` process (with the test
 * TypeScript hooks) and waits for it to exit; the report is absent if the process died.
 */
export function runInChild(request: ChildRequest, timeoutMs = 20_000): Promise<ChildOutcome> {
  const bootstrap = `import('node:module').then((m) => { m.register(${JSON.stringify(hooks)}); return import(${JSON.stringify(script)}); })`;
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', bootstrap],
    { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(
    JSON.stringify({
      wasm: Buffer.from(request.bytes).toString('base64'),
      limits: request.limits ?? {},
      calls: request.calls ?? [],
    }),
  );
  return new Promise((resolve) => {
    child.on('close', (exitCode, signal) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      let report: ChildOutcome['report'];
      try {
        report = JSON.parse(line) as ChildOutcome['report'];
      } catch {
        report = undefined;
      }
      resolve({ exitCode, signal, stderr: stderr.slice(-2000), report });
    });
  });
}
