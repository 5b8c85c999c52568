import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@convergio/config';
import { ROOT } from '@convergio/testing';
import { StandaloneConfig } from './config/standalone.config.js';
import { startStandalone, type Standalone } from './standalone.js';

/** The README's walkthrough: its third `sh` block, as a user pastes it. */
function walkthrough(): string {
  const blocks = readFileSync(join(ROOT, 'README.md'), 'utf8').split(/^```sh\n/m);
  return blocks[3].slice(0, blocks[3].indexOf('\n```'));
}

/**
 * Runs `script` with bash -e in the repository's root, its temporary files (mktemp) under
 * `tmp`; resolves with its exit code and output.
 */
function bash(
  script: string,
  tmp: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// The README's walkthrough once failed at its third step when pasted (the submission was still
// being verified) and its answers ran into the next prompt: this runs it as written, against a
// platform of its own (its address and admin key file in place of the README's), and checks
// each answer a reader is told to expect. Its waits are made longer than a reader's 30 s: a CI
// machine running other suites at once may verify a first plugin more slowly than that.
describe('the README walkthrough', () => {
  let dataDir: string;
  let platform: Standalone;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cvg-readme-'));
    platform = await startStandalone(
      loadConfig(StandaloneConfig, {
        DATA_DIR: join(dataDir, 'data'),
        PORT: '0',
        LOG_LEVEL: 'warn',
      }),
    );
  });
  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('works when pasted as written, each step answering what the README says', async () => {
    const script = walkthrough();
    expect(script).toContain('GW=http://127.0.0.1:3000\n');
    expect(script).toContain('$(cat data/admin-key)');
    const run = await bash(
      script
        .replace('GW=http://127.0.0.1:3000\n', `GW=${platform.url}\n`)
        .replace('$(cat data/admin-key)', `$(cat '${join(dataDir, 'data', 'admin-key')}')`)
        .replaceAll('?wait=30', '?wait=120'),
      dataDir,
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 0,
      stderr: expect.stringContaining('signed example.greet 1.2.0 as example'),
    });
    // Every JSON answer ends with a newline, so each is a line of its own.
    const lines = run.stdout.split('\n');
    expect(lines.pop()).toBe('');
    const answers = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as object);
    const text = lines.filter((l) => !l.startsWith('{'));
    expect(answers).toEqual([
      // 2. submitted, verified, approved and loaded within the wait
      expect.objectContaining({ status: 'approved', loaded: true, settled: true }),
      // 3. its stored state
      expect.objectContaining({ plugin_id: 'example.greet', status: 'approved', loaded: true }),
      // 4. its tool
      expect.objectContaining({ output: { greeting: 'Hello, Ada!' } }),
      // 5. 1.1.0 waits for an admin, the queue shows it, 1.0.0 still serves
      expect.objectContaining({ status: 'pending_approval', settled: true }),
      expect.objectContaining({
        items: [expect.objectContaining({ plugin_id: 'example.greet', version: '1.1.0' })],
      }),
      expect.objectContaining({
        plugins: [expect.objectContaining({ serving_version: '1.0.0', latest_version: '1.1.0' })],
      }),
      // 6. approved by the reviewer and loaded; calls go to 1.1.0
      expect.objectContaining({ status: 'approved', loaded: true }),
      expect.objectContaining({ output: { greeting: 'Hello, Grace!' }, version: '1.1.0' }),
      // 7. the audit log and its chain
      expect.objectContaining({
        events: expect.arrayContaining([
          expect.objectContaining({ type: 'plugin.submitted' }),
          expect.objectContaining({ type: 'plugin.approved' }),
          expect.objectContaining({ type: 'plugin.loaded' }),
        ]),
      }),
      expect.objectContaining({ ok: true }),
      // 8. the signer, then 1.2.0 signed and approved without an admin
      expect.objectContaining({ id: 'example', trust: 'trusted' }),
      expect.objectContaining({ status: 'approved', loaded: true }),
    ]);
    expect(text).toContainEqual(expect.stringContaining('verified, signed by example'));
  }, 600_000);
});
