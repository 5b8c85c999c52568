import { createHash } from 'node:crypto';
import { ExitCode } from '../exit-codes.js';
import { checkPackage, type PackageFiles } from './plugin-package.js';

const module = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
const sha256 = createHash('sha256').update(module).digest('hex');
const manifest = (overrides: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      id: 'acme.tool',
      version: '1.0.0',
      entrypoint: 'tool.wasm',
      signing: { sha256 },
      ...overrides,
    }),
  );

function files(overrides: Partial<PackageFiles> = {}): PackageFiles {
  return {
    source: 'pkg',
    manifestText: manifest(),
    module: (name) => Promise.resolve(name === 'tool.wasm' ? module : undefined),
    ...overrides,
  };
}

describe('checkPackage: a package is complete before anything is sent', () => {
  it('takes plugin.json, the module its entrypoint names and an SBOM', async () => {
    const pkg = await checkPackage(files({ sbom: Buffer.from('{"bomFormat":"CycloneDX"}') }));
    expect(pkg).toMatchObject({ moduleName: 'tool.wasm', module, manifest: { id: 'acme.tool' } });
    expect(pkg.sbom).toBeDefined();
  });

  it.each<[string, Partial<PackageFiles>, string]>([
    ['no plugin.json', { manifestText: undefined }, 'package_incomplete'],
    ['plugin.json not JSON', { manifestText: Buffer.from('{"id": ') }, 'manifest_invalid_json'],
    [
      'a key given twice',
      { manifestText: Buffer.from('{"id":"a","id":"b"}') },
      'manifest_duplicate_key',
    ],
    [
      'an integer JSON.parse would round',
      { manifestText: Buffer.from('{"n": 9007199254740993}') },
      'manifest_unsafe_number',
    ],
    ['a JSON array', { manifestText: Buffer.from('[]') }, 'manifest_invalid_json'],
    [
      'no entrypoint',
      { manifestText: manifest({ entrypoint: undefined }) },
      'manifest_entrypoint_invalid',
    ],
    [
      'an entrypoint that is a path',
      { manifestText: manifest({ entrypoint: '../tool.wasm' }) },
      'manifest_entrypoint_invalid',
    ],
    ['the module missing', { module: () => Promise.resolve(undefined) }, 'package_incomplete'],
    ['an empty module', { module: () => Promise.resolve(Buffer.alloc(0)) }, 'package_incomplete'],
    [
      'another module than signing.sha256 says',
      { module: () => Promise.resolve(Buffer.from('other')) },
      'module_hash_mismatch',
    ],
    [
      'no signing.sha256',
      { manifestText: manifest({ signing: undefined }) },
      'module_hash_mismatch',
    ],
    ['an SBOM that is not JSON', { sbom: Buffer.from('<bom/>') }, 'sbom_invalid_json'],
  ])('refuses %s (exit 4, code %s)', async (_case, overrides, code) => {
    await expect(checkPackage(files(overrides))).rejects.toMatchObject({
      exit: ExitCode.input,
      code,
    });
  });

  it('says which file and what to do', async () => {
    const error = checkPackage(files({ module: () => Promise.resolve(Buffer.from('other')) }));
    await expect(error).rejects.toMatchObject({
      message: expect.stringContaining(`pkg: the module's SHA-256 is`),
      hint: expect.stringContaining('convergio sign'),
    });
  });
});
