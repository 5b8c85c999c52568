import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSubjects, type EventEnvelope, type Manifest } from '@convergio/contracts';
import { loadPlatformGrants } from '@convergio/runtime';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, exampleModule, sha256Hex } from '@convergio/testing';
import { sbomPolicyOf, verificationPersistence, VerificationModule } from '../index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'cvg-sbom-'));
const sbomLib = new URL('../../../../libs/sbom/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(sbomLib, 'src/fixtures', name));

describe('verification: the SBOM step', () => {
  let h: ServiceHarness;
  const greet = exampleModule('greet.wasm');
  let n = 0;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...verificationPersistence,
      feature: VerificationModule.register({
        coreVersion: '0.1.0',
        grants: loadPlatformGrants({
          pluginFilesDir: join(dataDir, 'plugin-files'),
          dataDirs: [dataDir],
        }),
        releaseKey: null,
        sbom: await sbomPolicyOf({
          OSV_DATABASE_DIR: join(sbomLib, 'osv-sample'),
          SBOM_REJECT_SEVERITY: 'critical',
          SBOM_REQUIRED: false,
        }),
      }),
    });
    await h.artifacts.put(greet);
  });
  afterAll(() => h?.close());

  async function verdict(sbom?: Buffer, m: Manifest = aManifest({ id: `t.sbom${n++}` }, greet)) {
    if (sbom) await h.artifacts.put(sbom);
    const seen = h.events.length;
    await h.bus.publish(EventSubjects.PluginSubmitted, {
      plugin_id: m.id,
      version: m.version,
      manifest: m,
      module_sha256: sha256Hex(greet),
      module_size: greet.length,
      ...(sbom && { sbom: { sha256: sha256Hex(sbom), size: sbom.length } }),
      submitted_by: 'k',
    });
    for (let tries = 0; tries < 400; tries++) {
      const found = h.events
        .slice(seen)
        .find(
          (e): e is EventEnvelope<'plugin.verified'> | EventEnvelope<'plugin.rejected'> =>
            (e.type === EventSubjects.PluginVerified || e.type === EventSubjects.PluginRejected) &&
            (e.data as { plugin_id: string }).plugin_id === m.id,
        );
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no verdict on ${m.id}`);
  }
  const codes = (e: Awaited<ReturnType<typeof verdict>>) =>
    ('reasons' in e.data ? e.data.reasons : e.data.findings).map((f) => f.code);

  it('verifies a version with a clean SBOM, and one without when none is required', async () => {
    expect((await verdict(fixture('clean.cdx.json'))).type).toBe(EventSubjects.PluginVerified);
    expect((await verdict()).type).toBe(EventSubjects.PluginVerified);
  });

  it('rejects a component with a known vulnerability at or above the threshold, recording the rest', async () => {
    const rejected = await verdict(fixture('vulnerable.cdx.json'));
    expect(rejected.type).toBe(EventSubjects.PluginRejected);
    const reasons = 'reasons' in rejected.data ? rejected.data.reasons : [];
    expect(reasons).toContainEqual(
      expect.objectContaining({ code: 'vulnerable_component', value: 'CONVERGIO-SAMPLE-0001' }),
    );
    expect(reasons.every((r) => r.message.includes('critical'))).toBe(true);
  });

  it('rejects a malformed SBOM with its code, after the other findings', async () => {
    const broken = aManifest({ id: `t.sbom${n++}`, min_core_version: '9.0.0' }, greet);
    expect(codes(await verdict(fixture('malformed.cdx.json'), broken))).toEqual([
      'core_version_incompatible',
      'sbom_malformed',
    ]);
    expect(codes(await verdict(Buffer.from('{"bomFormat":"SPDX"}')))).toEqual(['sbom_unsupported']);
  });
});
