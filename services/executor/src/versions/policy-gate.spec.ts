import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '@convergio/config';
import { loadPlatformGrants } from '@convergio/runtime';
import { aManifest, exampleModule } from '@convergio/testing';
import { ExecutorLimitsEnv, executorSettings } from '../config/executor.config.js';
import { PolicyGate } from './policy-gate.js';

describe('PolicyGate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cvg-policy-gate-'));
  const shared = join(dir, 'shared');
  const policyFile = join(dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      filesystem: { roots: [{ path: shared, access: 'read' }] },
      network: { private_network_plugins: ['acme.local'], denied_cidrs: ['10.0.0.0/8'] },
      limits: { max: { fuel: 5000 } },
    }),
  );
  const env = loadConfig(Type.Object(ExecutorLimitsEnv), {});
  const grants = loadPlatformGrants({
    policyFile,
    pluginFilesDir: join(dir, 'plugin-files'),
    dataDirs: [join(dir, 'data')],
  });
  const gate = new PolicyGate(executorSettings(env, grants));
  const module = exampleModule('greet.wasm');
  const manifest = (id: string, permissions = {}) => aManifest({ id, permissions }, module);

  it('refuses a version that breaks the policy with policy_violation and the rules', () => {
    const m = manifest('acme.writer', { 'fs.write': { paths: [shared] } });
    expect(() => gate.assertFits('acme.writer', '1.0.0', m)).toThrow(
      expect.objectContaining({
        code: 'policy_violation',
        details: [expect.objectContaining({ rule: 'filesystem.roots', value: shared })],
      }),
    );
  });

  it('admits a fitting version: its own directory created 0700, $PLUGIN_DIR expanded, its own network allowance', async () => {
    const m = manifest('acme.local', {
      'fs.read': { paths: ['$PLUGIN_DIR', shared] },
      'fs.write': { paths: ['$PLUGIN_DIR/out'] },
    });
    const admitted = await gate.admit('acme.local', '1.0.0', m);
    const own = join(grants.pluginFilesDir, 'acme.local');
    expect(statSync(own).mode & 0o777).toBe(0o700);
    expect(admitted.grants['fs.read']?.paths).toEqual([own, shared]);
    expect(admitted.grants['fs.write']?.paths).toEqual([join(own, 'out')]);
    expect(admitted.policy).toMatchObject({
      pluginDir: own,
      allowPrivateNetworks: true,
      protection: {
        ownDir: own,
        roots: expect.arrayContaining([grants.pluginFilesDir, policyFile]),
      },
      denied: { cidrs: [expect.objectContaining({ cidr: '10.0.0.0/8' })] },
    });
    const other = await gate.admit('acme.other', '1.0.0', manifest('acme.other'));
    expect(other.policy.allowPrivateNetworks).toBe(false);
  });

  it("caps the executor's default limits at the policy's", () => {
    expect(executorSettings(env, grants).limits.fuel).toBe(5000);
  });
});
