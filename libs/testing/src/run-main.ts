import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Entry point of a built service: its `main.js`, or another script of its dist (`migrate.js`). */
export function serviceMain(name: string, entry = 'main.js'): string {
  const main = join(ROOT, 'services', name, 'dist', entry);
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  return main;
}

/** What one run of a process left: its exit status and everything it printed. */
export interface ProcessRun {
  code: number | null;
  output: string;
}

/** Runs a built service's script (`main.js` unless said) with only `env` (and PATH) until it exits. */
export function runMain(
  name: string,
  env: Record<string, string>,
  entry = 'main.js',
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serviceMain(name, entry)], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
