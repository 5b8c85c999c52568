import { checkSbom, loadOsvDatabase, type OsvDatabase } from '@convergio/sbom';
import { parseManifestText } from '@convergio/signing';
import { checkSubmission } from './check-submission.js';
import { keyIdOf, type Keyring, type KeyringKey, type KeyringSigner } from './keyring.js';
import {
  acceptedPackage,
  corpusSubmissionContext,
  HOSTILE_PACKAGES,
  hostileContext,
  type CorpusSigner,
  type HostileContext,
  type HostileEntry,
} from './testing/index.js';

// The corpus of hostile packages (./testing) against the library: each is refused by the
// parser of plugin.json or by checkSubmission, with its code; none is accepted.

const ROTATED_AT = new Date('2026-11-01T00:00:00Z');

const keyringKey = (publicKey: Uint8Array, rotatedAt: Date | null): KeyringKey => ({
  keyId: keyIdOf(publicKey),
  publicKey,
  rotatedAt,
});

function keyringSigner(signer: CorpusSigner): KeyringSigner {
  return {
    id: signer.id,
    trust: signer.trust,
    revoked: signer.revoked ?? false,
    keys: [
      keyringKey(signer.key.publicKey, null),
      ...(signer.previousKey ? [keyringKey(signer.previousKey.publicKey, ROTATED_AT)] : []),
    ],
  };
}

/**
 * The corpus keyring as the platform would hold it, refused keys included (a keyring filled
 * before the key checks existed), with the pin of the entry's plugin id.
 */
function corpusKeyring(ctx: HostileContext, entry: HostileEntry): Keyring {
  const signers = Object.values(ctx.signers).map(keyringSigner);
  const pinnedId = ctx.pluginId(entry.name);
  return {
    signer: (id) => signers.find((s) => s.id === id),
    pinnedSigner: (pluginId) =>
      entry.pinnedTo && pluginId === pinnedId ? ctx.signers[entry.pinnedTo].id : undefined,
    signedBeforeRotation: () => false,
  };
}

const contextFor = (ctx: HostileContext, entry: HostileEntry) =>
  corpusSubmissionContext(corpusKeyring(ctx, entry));

const OSV_SAMPLE = new URL('../../sbom/osv-sample', import.meta.url).pathname;
let osv: OsvDatabase;
beforeAll(async () => {
  osv = await loadOsvDatabase(OSV_SAMPLE);
});

/**
 * The codes the library refuses an entry with: the parser's, else checkSubmission's findings
 * and, for a package with an SBOM, checkSbom's (libs/sbom) at the default threshold, high.
 */
async function refusalCodes(ctx: HostileContext, entry: HostileEntry) {
  const pkg = entry.build(ctx);
  const parsed = parseManifestText(pkg.manifest);
  if (!parsed.ok)
    return { stage: 'parser', codes: [parsed.code, ...(parsed.details ?? []).map((d) => d.code)] };
  const check = await checkSubmission(parsed.value, pkg.module, contextFor(ctx, entry));
  const sbom = pkg.sbom && (await checkSbom(pkg.sbom, osv, { rejectAt: 'high' }));
  const sbomFindings = !sbom ? [] : sbom.ok ? sbom.blocking : sbom.findings;
  const findings = [...check.findings, ...sbomFindings];
  return {
    stage: check.ok && sbomFindings.length === 0 ? 'accepted' : 'checks',
    codes: findings.map((f) => f.code),
    findings,
  };
}

const active = HOSTILE_PACKAGES;

describe('hostile packages against the library', () => {
  const ctx = hostileContext();

  it('has at least 40 entries, with names that give distinct plugin ids', () => {
    expect(HOSTILE_PACKAGES.length).toBeGreaterThanOrEqual(40);
    const ids = HOSTILE_PACKAGES.map((e) => ctx.pluginId(e.name));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('accepts the untampered package the signature entries start from', async () => {
    const pkg = acceptedPackage(ctx, 'corpus.control');
    const parsed = parseManifestText(pkg.manifest);
    if (!parsed.ok) throw new Error(parsed.message);
    const entry = { name: 'control', expect: { stage: 'verification', code: '' } } as const;
    const check = await checkSubmission(
      parsed.value,
      pkg.module,
      contextFor(ctx, { ...entry, build: () => pkg }),
    );
    expect(check).toMatchObject({ ok: true, signature: { signerId: ctx.signers.acme.id } });
  });

  it.each(active.map((e) => [e.name, e] as const))(
    '%s: refused with its code',
    async (_name, entry) => {
      const result = await refusalCodes(ctx, entry);
      expect(result.stage).not.toBe('accepted');
      expect(result.codes).toContain(entry.expect.libraryCode ?? entry.expect.code);
      if (entry.expect.stage === 'verification') expect(result.stage).toBe('checks');
      if (entry.expect.rule)
        expect(result.findings).toContainEqual(
          expect.objectContaining({ code: 'policy_violation', rule: entry.expect.rule }),
        );
    },
  );
});
