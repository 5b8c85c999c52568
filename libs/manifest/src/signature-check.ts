import type { Finding, Manifest } from '@convergio/contracts';
import { verifyManifestSignature, type ManifestSignatureCheck } from '@convergio/signing';
import type { CheckCache } from './check-cache.js';
import type { Keyring, KeyringKey, SignatureVerdict } from './keyring.js';

/** The signature step's outcome: who signed (null when unsigned or refused) and its findings. */
export interface SignatureStep {
  verdict: SignatureVerdict | null;
  findings: Finding[];
}

/**
 * Checks the signature of a schema-valid manifest against the keyring (docs/adr/0010). Unsigned:
 * no finding, no verdict. Signed: `signer_unknown`, `signer_revoked`, the codes of
 * verifyManifestSignature (libs/signing), or, for a signature made with a key the signer has
 * rotated out, `signer_key_rotated` unless this very manifest was verified under that key
 * before the rotation. A module hash mismatch is the hash step's finding, not repeated here.
 */
export async function checkSignature(
  manifest: Manifest,
  module: { sha256: string; digest: string },
  keyring: Keyring,
  cache?: CheckCache,
): Promise<SignatureStep> {
  const signerId = manifest.signing.signer_id;
  if (signerId === undefined && manifest.signing.signature === undefined)
    return { verdict: null, findings: [] };
  const refused = (code: string, message: string): SignatureStep => ({
    verdict: null,
    findings: [{ code, message, path: '/signing/signer_id' }],
  });
  const signer = signerId === undefined ? undefined : keyring.signer(signerId);
  if (!signer)
    return refused(
      'signer_unknown',
      `no signer ${JSON.stringify(signerId ?? '')} in the keyring; an admin adds it with POST /v1/signers`,
    );
  if (signer.revoked)
    return refused(
      'signer_revoked',
      `signer ${signer.id} was revoked: nothing it signs is accepted`,
    );
  let first: ManifestSignatureCheck | undefined;
  for (const key of signer.keys) {
    const check = await verifyWithKey(manifest, module, key, cache);
    first ??= check;
    if (!check.ok) {
      if (check.code === 'signature_invalid') continue;
      if (check.code === 'module_hash_mismatch') return { verdict: null, findings: [] };
      return { verdict: null, findings: [findingOf(check)] };
    }
    if (key.rotatedAt && !keyring.signedBeforeRotation(key.keyId, module.digest))
      return refused(
        'signer_key_rotated',
        `signed with a key ${signer.id} rotated out on ${key.rotatedAt.toISOString()}; sign again with its current key`,
      );
    return {
      verdict: {
        signerId: signer.id,
        keyId: key.keyId,
        trust: signer.trust,
        keyRotatedAt: key.rotatedAt,
      },
      findings: [],
    };
  }
  return {
    verdict: null,
    findings: [
      first && !first.ok
        ? findingOf(first)
        : { code: 'signature_invalid', message: `signer ${signer.id} has no key` },
    ],
  };
}

function verifyWithKey(
  manifest: Manifest,
  module: { sha256: string; digest: string },
  key: KeyringKey,
  cache?: CheckCache,
): Promise<ManifestSignatureCheck> {
  const verify = () => verifyManifestSignature(manifest, { sha256: module.sha256 }, key.publicKey);
  if (!cache) return Promise.resolve(verify());
  const signature = String(manifest.signing.signature);
  return cache.get(`signature:${key.keyId}:${module.sha256}:${module.digest}:${signature}`, verify);
}

function findingOf(check: Extract<ManifestSignatureCheck, { ok: false }>): Finding {
  return { code: check.code, message: check.message, path: check.path ?? '/signing/signature' };
}
