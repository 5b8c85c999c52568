import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createPublisherKey,
  runBuiltCli,
  startPlatform,
  type PlatformInfo,
} from '@convergio/testing';
import { createKeyFor } from './support/fixtures.js';

/**
 * The built `convergio` CLI against the platform (seven processes, real NATS and PostgreSQL),
 * as a publisher, an admin, an invoker and an auditor would use it, with the example plugin:
 * examples/greet-plugin's scripts/manifest.mjs writes its plugin.json, build/greet.wasm is its
 * module. The public key `keygen` prints goes into the keyring (POST /v1/signers), and every
 * version is signed with its secret key: once a signed version is approved, later ones must be
 * signed by the same signer (key continuity).
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GREET = join(ROOT, 'examples/greet-plugin');
const work = mkdtempSync(join(tmpdir(), 'cvg-cli-e2e-'));

let info: PlatformInfo;
let stop: (() => Promise<void>) | undefined;
const keys = { publisher: '', admin: '', secondAdmin: '', invoker: '', auditor: '' };

beforeAll(async () => {
  const started = await startPlatform();
  info = started.info;
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(info);
  stop = started.stop;
  keys.admin = info.adminKey;
  keys.publisher = await createPublisherKey(info.gatewayUrl, info.adminKey, 'example');
  [keys.invoker, keys.auditor, keys.secondAdmin] = await Promise.all([
    createKeyFor(null, 'invoker'),
    createKeyFor(null, 'auditor'),
    createKeyFor(null, 'admin'),
  ]);
  // The admin key as a file, the way `npm start` leaves it in data/admin-key.
  writeFileSync(join(work, 'admin-key'), `${info.adminKey}\n`);
}, 120_000);

afterAll(async () => {
  await stop?.();
}, 60_000);

/** The CLI as `role`, from the work directory, pointed at the platform by its variables. */
const cli = (role: keyof typeof keys, ...args: string[]) =>
  runBuiltCli(args, {
    cwd: work,
    env: { CONVERGIO_URL: info.gatewayUrl, CONVERGIO_API_KEY: keys[role] },
  });
const offline = (...args: string[]) => runBuiltCli(args, { cwd: work });

/** Writes the example's plugin.json (manifest.mjs flags: --version, --allow-http) to `file`. */
async function greetManifest(file: string, ...flags: string[]): Promise<void> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    join(GREET, 'scripts/manifest.mjs'),
    ...flags,
  ]);
  writeFileSync(join(work, file), stdout);
}

/** Signs `file` in place for the greet module with the key `keygen` wrote. */
async function signInPlace(file: string) {
  const run = await offline(
    'sign',
    file,
    join(GREET, 'build/greet.wasm'),
    '--key',
    'signer.key',
    '--signer',
    SIGNER,
    '--out',
    file,
  );
  expect(run).toMatchObject({ code: 0, stdout: '' });
}

/** An admin adds the public key to the keyring: the one route the CLI does not cover. */
async function addSigner(publicKey: string) {
  const res = await fetch(`${info.gatewayUrl}/v1/signers`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${info.adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: SIGNER, public_key: publicKey, trust: 'trusted' }),
  });
  expect(res.status).toBe(201);
}

const SIGNER = 'example-release';
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;

describe('the convergio CLI drives a plugin through the platform', () => {
  it('keygen, sign and pack make a signed package of the example plugin', async () => {
    const keygen = await offline('keygen', '--out', 'signer.key');
    expect(keygen.code).toBe(0);
    await addSigner(keygen.stdout.trim());
    mkdirSync(join(work, 'greet'));
    await greetManifest('greet/plugin.json');
    copyFileSync(join(GREET, 'build/greet.wasm'), join(work, 'greet/greet.wasm'));
    const sign = await offline(
      'sign',
      'greet/plugin.json',
      'greet/greet.wasm',
      '--key',
      'signer.key',
      '--signer',
      SIGNER,
      '--out',
      'greet/plugin.json',
    );
    expect(sign).toMatchObject({ code: 0, stdout: '' });
    const pack = await offline('pack', 'greet', '--out', 'greet.tgz', '--json');
    expect(pack.code).toBe(0);
    expect(json(pack.stdout)).toMatchObject({ plugin_id: 'example.greet', version: '1.0.0' });
  });

  it('submit --wait uploads the package and answers approved once it is loaded', async () => {
    const submit = await cli('publisher', 'submit', 'greet.tgz', '--wait', '60');
    expect(submit.code).toBe(0);
    expect(submit.stdout).toBe('example.greet 1.0.0: approved\n  loaded: yes\n');
    expect(submit.stderr).toMatch(/^uploaded .* waiting for the gateway$/m);
  });

  it('status shows the signed version, loaded; the plugin serves 1.0.0', async () => {
    const version = await cli('admin', 'status', 'example.greet', '1.0.0', '--json');
    expect(version.code).toBe(0);
    expect(json(version.stdout)).toMatchObject({ status: 'approved', loaded: true, findings: [] });
    const plugin = await runBuiltCli(
      ['status', 'example.greet', '--key-file', 'admin-key', '--url', info.gatewayUrl],
      { cwd: work },
    );
    expect(plugin.code).toBe(0);
    expect(plugin.stdout).toMatch(/^example\.greet \(Greet\), owner example, serving 1\.0\.0\n/);
    expect(plugin.stdout).toMatch(/^ {2}1\.0\.0 +approved +loaded$/m);
  });

  it('invoke calls the tool and prints its output', async () => {
    const invoke = await cli(
      'invoker',
      'invoke',
      'example.greet',
      'greet',
      '--input',
      '{"name": "Ada"}',
    );
    expect(invoke).toMatchObject({ code: 0, stdout: '{\n  "greeting": "Hello, Ada!"\n}\n' });
  });

  it('audit lists the steps of the version', async () => {
    const audit = await cli('auditor', 'audit', '--plugin', 'example.greet', '--json');
    expect(audit.code).toBe(0);
    const types = (json(audit.stdout).events as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'plugin.submitted',
        'plugin.verified',
        'plugin.approved',
        'plugin.loaded',
      ]),
    );
    const human = await cli(
      'auditor',
      'audit',
      '--plugin',
      'example.greet',
      '--type',
      'plugin.loaded',
    );
    expect(human.stdout).toMatch(/plugin\.loaded +example\.greet 1\.0\.0 {2}\(\w+\)/);
  });

  it('a version asking for the network waits for an admin; approve --wait makes calls run it', async () => {
    await greetManifest('plugin-1.1.json', '--version', '1.1.0', '--allow-http', 'api.example.com');
    await signInPlace('plugin-1.1.json');
    const submit = await cli(
      'publisher',
      'submit',
      'plugin-1.1.json',
      join(GREET, 'build/greet.wasm'),
      '--wait',
      '60',
    );
    expect(submit).toMatchObject({ code: 0, stdout: 'example.greet 1.1.0: pending_approval\n' });
    expect(submit.stderr).toContain('an admin decides: `convergio approve example.greet 1.1.0`');
    // A trust designation takes two different admins: the first one's approval is recorded.
    const first = await cli(
      'admin',
      'approve',
      'example.greet',
      '1.1.0',
      '--note',
      'host reviewed',
      '--trust',
      'trusted',
      '--wait',
      '60',
      '--json',
    );
    expect(first.code).toBe(0);
    expect(json(first.stdout)).toMatchObject({ status: 'pending', approvals_required: 2 });
    expect(first.stderr).toContain('needs the approval of a second, different admin');
    const approve = await cli(
      'secondAdmin',
      'approve',
      'example.greet',
      '1.1.0',
      '--note',
      'host reviewed',
      '--wait',
      '60',
      '--json',
    );
    expect(approve.code).toBe(0);
    expect(json(approve.stdout)).toMatchObject({
      status: 'approved',
      trust: 'trusted',
      note: 'host reviewed',
      loaded: true,
    });
    const invoke = await cli(
      'invoker',
      'invoke',
      'example.greet',
      'greet',
      '--input',
      '{"name": "Grace"}',
      '--json',
    );
    expect(json(invoke.stdout)).toMatchObject({
      version: '1.1.0',
      output: { greeting: 'Hello, Grace!' },
    });
  });

  it('reject records the reason as the finding of a version asking for another host', async () => {
    await greetManifest(
      'plugin-1.2.json',
      '--version',
      '1.2.0',
      '--allow-http',
      'files.example.com',
    );
    await signInPlace('plugin-1.2.json');
    const submit = await cli(
      'publisher',
      'submit',
      'plugin-1.2.json',
      join(GREET, 'build/greet.wasm'),
      '--wait',
      '60',
    );
    expect(submit.stdout).toBe('example.greet 1.2.0: pending_approval\n');
    const reject = await cli(
      'admin',
      'reject',
      'example.greet',
      '1.2.0',
      '--reason',
      'files.example.com is not needed',
    );
    expect(reject).toMatchObject({ code: 0, stderr: '' });
    expect(reject.stdout).toMatch(/^example\.greet 1\.2\.0: rejected/);
    const status = await cli('publisher', 'status', 'example.greet', '1.2.0');
    expect(status.stdout).toContain('example.greet 1.2.0: rejected');
    expect(status.stdout).toContain('rejected_by_admin: ');
  });

  it('a version verification rejects exits 1 and prints the codes of its findings', async () => {
    const manifest = JSON.parse(readFileSync(join(work, 'greet/plugin.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(
      join(work, 'plugin-1.3.json'),
      JSON.stringify({ ...manifest, version: '1.3.0', min_core_version: '99.0.0' }),
    );
    await signInPlace('plugin-1.3.json');
    const submit = await cli(
      'publisher',
      'submit',
      'plugin-1.3.json',
      'greet/greet.wasm',
      '--wait',
      '60',
    );
    expect(submit.code).toBe(1);
    expect(submit.stdout).toMatch(
      /^example\.greet 1\.3\.0: rejected\n {2}findings:\n {4}core_version_incompatible: /,
    );
    expect(submit.stderr).toContain('convergio: rejected: example.greet 1.3.0 was rejected');
  });

  it("the platform's refusals exit 1 with its code and a hint", async () => {
    const again = await cli('publisher', 'submit', 'greet.tgz');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^convergio: version_exists: .*\nhint: this version was submitted already/m,
    );
    const notAdmin = await cli('invoker', 'approve', 'example.greet', '1.2.0');
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('convergio: forbidden: ');
    keys.auditor = 'cvg_not_a_key';
    const badKey = await cli('auditor', 'audit');
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('convergio: unauthorized: ');
    expect(badKey.stderr).toContain('hint: the API key was missing or not accepted');
  });
});
