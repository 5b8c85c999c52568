import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Resident set size of a process from /proc (Linux), or null when it cannot be read. */
export async function residentBytes(pid: number): Promise<number | null> {
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
 */
export function spawnSandboxProcess(): ChildProcess {
  const here = import.meta.url;
  const args = here.endsWith('.ts')
    ? [
        '--input-type=module',
        '-e',
        `import('node:module').then((m) => { m.register(${JSON.stringify(new URL('../testing/ts-hooks.mjs', here).href)}); return import(${JSON.stringify(new URL('./sandbox-process-main.ts', here).href)}); })`,
      ]
    : [new URL('./sandbox-process-main.js', here).pathname];
  return spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], {
    env: {},
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}
