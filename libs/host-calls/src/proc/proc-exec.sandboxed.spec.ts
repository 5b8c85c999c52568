import { exampleModule, sha256Hex } from '@convergio/testing';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Permissions } from '@convergio/contracts';
import {
  SandboxRuntime,
  type DeniedEvent,
  type LoadedSandboxPlugin,
  type PluginIdentity,
} from '@convergio/sandbox';
import { HOST_FUNCTION_NAMES } from '../host-functions.js';
import { createMainThreadOps } from '../main-thread-ops.js';
import { testPolicy } from '../net/testing/fake-host-env.js';

// proc.exec needs a trusted plugin, which the platform cannot grant until signatures are
// verified; so the hostile plugin runs here through the executor's own runtime and host calls.
describe('proc_exec attacks by a trusted hostile plugin, in the real sandbox', () => {
  const module = new Uint8Array(exampleModule('hostile.wasm'));
  const denials: { plugin: string; event: DeniedEvent }[] = [];
  let work: string;
  let runtime: SandboxRuntime;
  let hostile: LoadedSandboxPlugin;
  let bystander: LoadedSandboxPlugin;

  const load = (id: string, grants: Permissions) => {
    const identity: PluginIdentity = { id, version: '1.0.0', trust: 'trusted' };
    return runtime.load(module, sha256Hex(module), { identity, grants });
  };
  const exec = async (plugin: LoadedSandboxPlugin, arg: unknown) => {
    const input = new TextEncoder().encode(JSON.stringify({ fn: 'proc_exec', arg }));
    const { output } = await plugin.call('call_host', input);
    return JSON.parse(new TextDecoder().decode(output)) as Record<string, unknown>;
  };

  beforeAll(async () => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'proc-sandboxed-')));
    runtime = new SandboxRuntime({
      hostFunctionsModule: new URL('../host-functions.ts', import.meta.url),
      hostFunctions: HOST_FUNCTION_NAMES,
      mainThreadOps: createMainThreadOps(),
      policy: testPolicy({ allowPrivateNetworks: false }),
      defaults: {
        wallTimeMs: 5000,
        fuel: 1e9,
        maxMemoryPages: 256,
        maxHostCalls: 100,
        maxOutputBytes: 1 << 20,
      },
      logger: { warn: () => undefined, error: () => undefined },
      onDenied: (plugin, event) => denials.push({ plugin: plugin.id, event }),
    });
    const grants: Permissions = {
      'proc.exec': { binaries: ['/bin/echo', '/usr/bin/env'] },
      'fs.read': { paths: [work] },
    };
    hostile = await load('hostile.proc', grants);
    bystander = await load('bystander.proc', grants);
  });

  afterAll(async () => {
    await Promise.all([hostile?.close(), bystander?.close()]);
    rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => denials.splice(0));

  it.each([
    ['a binary that is not allowlisted', { binary: '/bin/cat', args: ['/etc/passwd'] }],
    ['a shell', { binary: '/bin/sh', args: ['-c', 'echo pwned'] }],
    ['a relative binary', { binary: 'echo', args: ['x'] }],
  ])('refuses %s, recording the denial; the executor still serves', async (_, arg) => {
    expect(await exec(hostile, arg)).toMatchObject({ error: { code: 'permission_denied' } });
    expect(denials).toEqual([
      { plugin: 'hostile.proc', event: expect.objectContaining({ capability: 'proc.exec' }) },
    ]);
    expect(await exec(bystander, { binary: '/bin/echo', args: ['ok'] })).toMatchObject({
      exit_code: 0,
      stdout: 'ok\n',
    });
  });

  it('passes shell metacharacters as literal arguments, with an empty environment', async () => {
    const attack = ['hi; cat /etc/passwd', '$(id)', '`id`', '| env', '&& $HOME'];
    expect(await exec(hostile, { binary: '/bin/echo', args: attack })).toMatchObject({
      exit_code: 0,
      stdout: `${attack.join(' ')}\n`,
    });
    expect(await exec(hostile, { binary: '/usr/bin/env' })).toMatchObject({
      exit_code: 0,
      stdout: '',
    });
  });

  it('refuses a working directory outside the file grants, recording the denial', async () => {
    expect(await exec(hostile, { binary: '/bin/echo', args: ['x'], cwd: '/etc' })).toMatchObject({
      error: { code: 'permission_denied' },
    });
    expect(denials).toHaveLength(1);
  });
});
