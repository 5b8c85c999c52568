import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const RSS_POLL_MS = 250;

/**
 * Reads `child`'s resident set (all of it: heaps, Wasm memories, ArrayBuffers) every 250 ms while
 * it runs and calls `sampled` with it, in bytes. Returns the stop.
 */
export function watchResidentMemory(
  child: ChildProcess,
  sampled: (rss: number) => void,
): () => void {
  const check = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const rss = await residentBytes(child.pid);
    if (rss !== null) sampled(rss);
  };
  const timer = setInterval(() => void check(), RSS_POLL_MS).unref();
  return () => clearInterval(timer);
}

/** Resident set size of a process from /proc (Linux), or null when it cannot be read. */
async function residentBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/**
 * The compiled library runs `sandbox-process-main.js`; as TypeScript source (test suites) the
 * process first registers the test loader hooks, like plugin workers do (see worker-entry.ts).
 * The process gets an empty environment: nothing of the executor's configuration reaches it.
 * `nodeFlags` (V8 heap flags, see sandboxMemoryBudget) come first.
 */
export function spawnSandboxProcess(nodeFlags: readonly string[]): ChildProcess {
  const here = import.meta.url;
  const args = here.endsWith('.ts')
    ? [
        '--input-type=module',
        '-e',
        `import('node:module').then((m) => { m.register(${JSON.stringify(new URL('../testing/ts-hooks.mjs', here).href)}); return import(${JSON.stringify(new URL('./sandbox-process-main.ts', here).href)}); })`,
      ]
    : [new URL('./sandbox-process-main.js', here).pathname];
  return spawn(process.execPath, [...nodeFlags, '--disable-warning=ExperimentalWarning', ...args], {
    env: {},
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}
