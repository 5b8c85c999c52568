import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBase64url, verifyManifestSignature } from '@convergio/signing';
import { aManifest, exampleModule, runBuiltCli } from '@convergio/testing';

// The built binary, run as a user would, for the commands that need no gateway.
const COMMANDS = [
  'keygen',
  'sign',
  'verify',
  'pack',
  'submit',
  'status',
  'approve',
  'reject',
  'invoke',
  'audit',
];

let dir: string;
const at = (name: string) => join(dir, name);
const cli = (...args: string[]) => runBuiltCli(args, { cwd: dir });
const module = exampleModule('greet.wasm');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cvg-cli-'));
});

/** A package directory: the greet module and its manifest (hash set, unsigned). */
function packageDir(name = 'pkg', manifest: object = aManifest({}, module)): string {
  mkdirSync(at(name));
  writeFileSync(at(`${name}/plugin.json`), JSON.stringify(manifest, null, 2));
  writeFileSync(at(`${name}/greet.wasm`), module);
  return at(name);
}

describe('--help and usage', () => {
  it.each(COMMANDS)('`%s --help` describes the command and the exit statuses', async (command) => {
    const run = await cli(command, '--help');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`Usage: convergio ${command}`);
    expect(run.stdout).toContain('Exit status:');
  });

  it('`--help` lists every command and `--version` prints the version', async () => {
    const help = await cli('--help');
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(await cli('--version')).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it.each([
    [['frob'], "unknown command 'frob'"],
    [[], 'no command given'],
    [['keygen'], "required option '--out <file>' not specified"],
    [['submit', '--wait', '500', 'pkg'], 'a whole number from 0 to 120'],
    [['audit', '--limit', '0'], 'a whole number from 1 to 500'],
    [['approve', 'a.b', '1.0.0', '--trust', 'root'], 'Allowed choices are trusted, official'],
    [['status', 'a.b', '1.0.0', 'extra'], 'too many arguments'],
  ])('%j is a usage error: exit 2, said on stderr with a hint', async (args, message) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`convergio: usage: `);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toMatch(/hint: see `convergio .*--help`/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('with --json a usage error is one JSON document on stdout too', async () => {
    const run = await cli('audit', '--limit', 'x', '--json');
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: expect.objectContaining({ code: 'usage', exit_code: 2 }),
    });
  });
});

describe('keygen', () => {
  it('writes a 0600 secret key and prints its public key as unpadded base64url', async () => {
    const run = await cli('keygen', '--out', 'signer.key');
    expect(run.code).toBe(0);
    const publicKey = decodeBase64url(run.stdout.trim());
    expect(publicKey).toHaveLength(32);
    expect(statSync(at('signer.key')).mode & 0o777).toBe(0o600);
    expect(decodeBase64url(readFileSync(at('signer.key'), 'utf8').trim())).toHaveLength(32);
    expect(run.stderr).toContain('wrote the secret key to signer.key');
  });

  it('refuses to replace a key (exit 4) unless --force, and --json prints both fields', async () => {
    await cli('keygen', '--out', 'signer.key');
    const before = readFileSync(at('signer.key'), 'utf8');
    const refused = await cli('keygen', '--out', 'signer.key');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('convergio: file_exists: signer.key exists already');
    expect(readFileSync(at('signer.key'), 'utf8')).toBe(before);
    const forced = await cli('keygen', '--out', 'signer.key', '--force', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toEqual({
      public_key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      secret_key_file: 'signer.key',
    });
    expect(readFileSync(at('signer.key'), 'utf8')).not.toBe(before);
  });
});

describe('sign', () => {
  it('fills signing with a signature that the signing lib verifies with the printed key', async () => {
    const publicKey = (await cli('keygen', '--out', 'signer.key')).stdout.trim();
    const pkg = packageDir();
    const run = await cli(
      'sign',
      `${pkg}/plugin.json`,
      `${pkg}/greet.wasm`,
      '--key',
      'signer.key',
      '--signer',
      'acme',
      '--out',
      'signed.json',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      file: 'signed.json',
      signer_id: 'acme',
      public_key: publicKey,
    });
    const signed: unknown = JSON.parse(readFileSync(at('signed.json'), 'utf8'));
    expect(verifyManifestSignature(signed, module, decodeBase64url(publicKey)!)).toMatchObject({
      ok: true,
      signerId: 'acme',
    });
  });

  it('without --out prints the signed manifest on stdout', async () => {
    await cli('keygen', '--out', 'signer.key');
    const pkg = packageDir();
    const run = await cli(
      'sign',
      `${pkg}/plugin.json`,
      `${pkg}/greet.wasm`,
      '--key',
      'signer.key',
      '--signer',
      'acme',
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      signing: { signer_id: 'acme', signature: expect.any(String) },
    });
  });

  const SIGN = ['sign', 'pkg/plugin.json', 'pkg/greet.wasm', '--key', 'signer.key'];
  it.each<[string, () => void, string[], string]>([
    [
      'a duplicate key',
      () => writeFileSync(at('pkg/plugin.json'), '{"id": "a", "id": "b"}'),
      [...SIGN, '--signer', 'acme'],
      'manifest_duplicate_key',
    ],
    [
      'an unknown key in signing',
      () => writeFileSync(at('pkg/plugin.json'), '{"signing": {"sha256": "x", "by": "me"}}'),
      [...SIGN, '--signer', 'acme'],
      'signing_malformed',
    ],
    [
      'a key file that is not a key',
      () => writeFileSync(at('signer.key'), 'not a key\n'),
      [...SIGN, '--signer', 'acme'],
      'signer_key_invalid',
    ],
    [
      'a signer id of 201 characters',
      () => undefined,
      [...SIGN, '--signer', 'x'.repeat(201)],
      'signing_malformed',
    ],
    [
      'a missing module',
      () => undefined,
      ['sign', 'pkg/plugin.json', 'pkg/missing.wasm', '--key', 'signer.key', '--signer', 'acme'],
      'file_not_found',
    ],
  ])('refuses %s with the code and exit 4', async (_case, spoil, args, code) => {
    await cli('keygen', '--out', 'signer.key');
    packageDir();
    spoil();
    const run = await cli(...args);
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^convergio: ${code}: `));
  });
});

describe('pack', () => {
  it('writes <id>-<version>.tgz of the package files and prints its SHA-256', async () => {
    const pkg = packageDir('pkg', aManifest({ id: 'acme.tool', version: '2.0.0' }, module));
    writeFileSync(join(pkg, 'sbom.cdx.json'), '{"bomFormat": "CycloneDX"}');
    writeFileSync(join(pkg, 'notes.txt'), 'left out');
    const run = await cli('pack', 'pkg', '--json');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    const tarball = readFileSync(at('acme.tool-2.0.0.tgz'));
    expect(result).toMatchObject({
      file: 'acme.tool-2.0.0.tgz',
      sha256: createHash('sha256').update(tarball).digest('hex'),
      files: ['plugin.json', 'greet.wasm', 'sbom.cdx.json'],
    });
  });

  it('the same files give the same tarball, so the same SHA-256', async () => {
    packageDir();
    const first = await cli('pack', 'pkg', '--out', 'a.tgz');
    const second = await cli('pack', 'pkg', '--out', 'b.tgz');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^[0-9a-f]{64} {2}a\.tgz\n$/);
    expect(first.stdout.slice(0, 64)).toBe(second.stdout.slice(0, 64));
  });

  it.each<[string, (pkg: string) => void, string]>([
    ['no module', (pkg) => writeFileSync(join(pkg, 'greet.wasm'), ''), 'package_incomplete'],
    [
      'a module the manifest does not hash',
      (pkg) => writeFileSync(join(pkg, 'greet.wasm'), 'other'),
      'module_hash_mismatch',
    ],
    [
      'plugin.json that is not JSON',
      (pkg) => writeFileSync(join(pkg, 'plugin.json'), '{'),
      'manifest_invalid_json',
    ],
    [
      'an SBOM that is not JSON',
      (pkg) => writeFileSync(join(pkg, 'sbom.cdx.json'), '<bom/>'),
      'sbom_invalid_json',
    ],
  ])('refuses a package with %s (exit 4)', async (_case, spoil, code) => {
    spoil(packageDir());
    const run = await cli('pack', 'pkg');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`convergio: ${code}: `);
    expect(run.stderr).toContain('hint: ');
  });

  it('a missing directory is an input error naming it', async () => {
    const run = await cli('pack', 'nowhere');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('convergio: file_not_found: the package nowhere does not exist');
  });

  it('a file where the directory should be is refused', async () => {
    writeFileSync(at('greet.wasm'), module);
    const run = await cli('pack', 'greet.wasm');
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('convergio: package_not_directory: ');
  });
});

describe('verify', () => {
  const OSV_SAMPLE = new URL('../../../libs/sbom/osv-sample', import.meta.url).pathname;
  const VULNERABLE_SBOM = new URL(
    '../../../libs/sbom/src/fixtures/vulnerable.cdx.json',
    import.meta.url,
  ).pathname;

  /** A package signed as `acme` by a fresh key; answers its directory and the public key. */
  async function signedPackage(name = 'pkg', manifest: object = aManifest({}, module)) {
    const pkg = packageDir(name, manifest);
    const publicKey = (await cli('keygen', '--out', at(`${name}.key`))).stdout.trim();
    const plugin = join(pkg, 'plugin.json');
    const sign = ['sign', plugin, join(pkg, 'greet.wasm'), '--key', at(`${name}.key`)];
    expect((await cli(...sign, '--signer', 'acme', '--out', plugin)).code).toBe(0);
    return { pkg, publicKey };
  }

  it('verifies a signed package with the signer key (exit 0), naming the signer', async () => {
    const { pkg, publicKey } = await signedPackage();
    const run = await cli('verify', pkg, '--public-key', publicKey, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      plugin_id: 'example.greet',
      signed_by: { signer_id: 'acme', trust: 'trusted' },
      findings: [],
    });
  });

  it('rejects (exit 1) with the codes the platform gives: unknown signer, tampering, widened permissions', async () => {
    const { pkg, publicKey } = await signedPackage();
    const unknown = await cli('verify', pkg);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toContain('signer_unknown');
    const plugin = join(pkg, 'plugin.json');
    const signed = JSON.parse(readFileSync(plugin, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      plugin,
      JSON.stringify({ ...signed, permissions: { 'proc.exec': { binaries: ['/bin/sh'] } } }),
    );
    const run = await cli('verify', pkg, '--public-key', publicKey, '--json');
    expect(run.code).toBe(1);
    expect(
      (JSON.parse(run.stdout) as { findings: { code: string }[] }).findings.map((f) => f.code),
    ).toEqual(['signature_invalid', 'proc_exec_untrusted', 'policy_violation']);
  });

  it('matches the SBOM against an OSV database: a critical component rejects it', async () => {
    const { pkg, publicKey } = await signedPackage();
    const args = ['verify', pkg, '--public-key', publicKey, '--sbom', VULNERABLE_SBOM];
    const run = await cli(...args, '--osv', OSV_SAMPLE, '--json');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('CONVERGIO-SAMPLE-0001');
    expect((await cli(...args, '--json')).code).toBe(0);
  });

  it('refuses a plugin.json with a duplicate key before any check (exit 4, the code)', async () => {
    const pkg = packageDir();
    const plugin = join(pkg, 'plugin.json');
    writeFileSync(plugin, readFileSync(plugin, 'utf8').replace('{', '{"id": "x.y",'));
    const run = await cli('verify', pkg);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('manifest_duplicate_key');
  });
});
