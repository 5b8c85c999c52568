import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI_MAIN = fileURLToPath(new URL('../../../tools/cli/dist/main.js', import.meta.url));

/** What one run of the CLI left: its exit status and everything it printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `convergio` CLI (tools/cli/dist/main.js) as a user's shell would, in its own
 * process, and waits for it to exit. The test's own CONVERGIO_* variables are dropped, so only
 * `env` configures it. Asynchronous: a fake gateway in the test process keeps answering.
 */
export function runBuiltCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliRun> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run "npm run build" first`);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('CONVERGIO_')),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(options.input ?? '');
  });
}
