import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSubjects, type EventEnvelope, type Manifest } from '@convergio/contracts';
import { DEFAULT_INPUT_SCHEMA_BOUNDS, type InputSchemaBounds } from '@convergio/manifest';
import { loadPlatformGrants } from '@convergio/runtime';
import { OsvDatabase } from '@convergio/sbom';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { sha256Hex } from '@convergio/testing';
import type { ReleaseKey } from './keyring/release-key.js';
import type { SbomPolicy } from './sbom/sbom-policy.js';
import { verificationPersistence, VerificationModule } from './index.js';

/** The verification service on real PostgreSQL: core 0.1.0, the default policy, no release key, no OSV records. */
export function startVerification(
  settings: {
    releaseKey?: ReleaseKey;
    sbom?: SbomPolicy;
    inputSchemaBounds?: InputSchemaBounds;
  } = {},
): Promise<ServiceHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cvg-verification-'));
  return startServiceHarness({
    ...verificationPersistence,
    feature: VerificationModule.register({
      coreVersion: '0.1.0',
      grants: loadPlatformGrants({
        pluginFilesDir: join(dataDir, 'plugin-files'),
        dataDirs: [dataDir],
      }),
      releaseKey: settings.releaseKey ?? null,
      sbom: settings.sbom ?? {
        database: new OsvDatabase([], 0),
        rejectAt: 'high',
        required: false,
      },
      inputSchemaBounds: settings.inputSchemaBounds ?? DEFAULT_INPUT_SCHEMA_BOUNDS,
    }),
  });
}

/** What verification announced for one submission. */
export type Verdict = EventEnvelope<'plugin.verified'> | EventEnvelope<'plugin.rejected'>;

/**
 * Publishes plugin.submitted for `manifest` with `module` (and `sbom`, both already in the
 * artifact store) and answers the verdict published after it.
 */
export async function verdictOn(
  h: ServiceHarness,
  manifest: Manifest,
  module: Uint8Array,
  sbom?: Uint8Array,
): Promise<Verdict> {
  const seen = h.events.length;
  await h.bus.publish(EventSubjects.PluginSubmitted, {
    plugin_id: manifest.id,
    version: manifest.version,
    manifest,
    module_sha256: sha256Hex(module),
    module_size: module.length,
    ...(sbom && { sbom: { sha256: sha256Hex(sbom), size: sbom.length } }),
    submitted_by: 'k',
  });
  for (let tries = 0; tries < 400; tries++) {
    const found = h.events
      .slice(seen)
      .find(
        (e): e is Verdict =>
          (e.type === EventSubjects.PluginVerified || e.type === EventSubjects.PluginRejected) &&
          (e.data as { plugin_id: string }).plugin_id === manifest.id &&
          (e.data as { version: string }).version === manifest.version,
      );
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no verdict on ${manifest.id}@${manifest.version}`);
}

/** The codes of a verdict: a rejection's reasons, or a verified version's findings. */
export const codesOf = (verdict: Verdict): string[] =>
  ('reasons' in verdict.data ? verdict.data.reasons : verdict.data.findings).map((f) => f.code);
