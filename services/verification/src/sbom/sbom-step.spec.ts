import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventSubjects, type Manifest } from '@convergio/contracts';
import type { ServiceHarness } from '@convergio/service-testing';
import { aManifest, exampleModule } from '@convergio/testing';
import { sbomPolicyOf } from '../index.js';
import { codesOf, startVerification, verdictOn } from '../verification.spec-helper.js';

const sbomLib = new URL('../../../../libs/sbom/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(sbomLib, 'src/fixtures', name));

describe('verification: the SBOM step', () => {
  let h: ServiceHarness;
  const greet = exampleModule('greet.wasm');
  let n = 0;

  beforeAll(async () => {
    h = await startVerification({
      sbom: await sbomPolicyOf({
        OSV_DATABASE_DIR: join(sbomLib, 'osv-sample'),
        SBOM_REJECT_SEVERITY: 'critical',
        SBOM_REQUIRED: false,
      }),
    });
    await h.artifacts.put(greet);
  });
  afterAll(() => h?.close());

  async function verdict(sbom?: Buffer, m: Manifest = aManifest({ id: `t.sbom${n++}` }, greet)) {
    if (sbom) await h.artifacts.put(sbom);
    return verdictOn(h, m, greet, sbom);
  }

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
    expect(codesOf(await verdict(fixture('malformed.cdx.json'), broken))).toEqual([
      'core_version_incompatible',
      'sbom_malformed',
    ]);
    expect(codesOf(await verdict(Buffer.from('{"bomFormat":"SPDX"}')))).toEqual([
      'sbom_unsupported',
    ]);
  });
});
