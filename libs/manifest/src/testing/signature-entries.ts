import type { Manifest } from '@convergio/contracts';
import {
  canonicalManifestBytes as canonicalBytes,
  decodeBase64url,
  ED25519_L,
  ed25519Sign,
  encodeBase64url,
  moduleSha256,
  signatureScalar,
} from '@convergio/signing';
import type { CorpusSignerRole, HostileContext } from './context.js';
import {
  greetModule,
  hostile,
  manifestFor,
  packageOf,
  signedBy,
  type HostileEntry,
} from './hostile-entry.js';

const verification = (code: string, libraryCode?: string) =>
  ({ stage: 'verification', code, ...(libraryCode && { libraryCode }) }) as const;

/** A greet manifest signed by acme, then `change` applied to it. */
const acmeSigned = (ctx: HostileContext, id: string, change: (m: Manifest) => unknown = (m) => m) =>
  packageOf(change(signedBy(ctx, 'acme', manifestFor(id))));

/** The acme-signed manifest with another `signing.signature` text. */
const withSignature = (ctx: HostileContext, id: string, signature: (valid: string) => string) =>
  acmeSigned(ctx, id, (m) => ({
    ...m,
    signing: { ...m.signing, signature: signature(m.signing.signature!) },
  }));

/** A greet manifest naming `role` as its signer, with the signature `sign` makes of it. */
function signedOver(
  ctx: HostileContext,
  role: CorpusSignerRole,
  id: string,
  sign: (unsigned: Manifest) => Uint8Array,
): { manifest: string; module: Uint8Array } {
  const module = greetModule();
  const unsigned = manifestFor(id);
  const withSigner = {
    ...unsigned,
    signing: { sha256: moduleSha256(module), signer_id: ctx.signers[role].id },
  };
  return packageOf({
    ...withSigner,
    signing: { ...withSigner.signing, signature: encodeBase64url(sign(withSigner)) },
  });
}
const bytesOf = (text: string) => new TextEncoder().encode(text);
const stranger = (ctx: HostileContext) => ctx.stranger.secretKey!;

/** The valid signature with S + L in place of S: the same signature to a lax verifier. */
function addOrderToS(signature: string): string {
  const bytes = decodeBase64url(signature)!;
  let s = signatureScalar(bytes) + ED25519_L;
  const out = Uint8Array.from(bytes);
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return encodeBase64url(out);
}
/** The last character with its unused low bits set: another spelling of the same bytes. */
function nonCanonicalTail(signature: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(signature.at(-1)!);
  return signature.slice(0, -1) + alphabet[last | 0b11];
}
function flipBit(signature: string): string {
  const bytes = Uint8Array.from(decodeBase64url(signature)!);
  bytes[10] ^= 0x01;
  return encodeBase64url(bytes);
}

/**
 * Signed packages refused for their signature, their signer or trust: tampered after signing,
 * signed by the wrong key, over the wrong bytes, with malformed signatures, by signers the
 * keyring refuses, revoked, rotated out, or not the signer the plugin id is pinned to.
 */
export const SIGNATURE_ENTRIES: HostileEntry[] = [
  hostile('module swapped after signing', verification('module_hash_mismatch'), (ctx, id) => ({
    ...acmeSigned(ctx, id),
    module: Buffer.concat([greetModule(), Buffer.from([0x00, 0x04, 0x65, 0x76, 0x69, 0x6c])]),
  })),
  hostile(
    'module swapped and its hash updated after signing',
    verification('signature_invalid'),
    (ctx, id) => {
      const module = Buffer.concat([
        greetModule(),
        Buffer.from([0x00, 0x04, 0x65, 0x76, 0x69, 0x6c]),
      ]);
      const signed = acmeSigned(ctx, id, (m) => ({
        ...m,
        signing: { ...m.signing, sha256: moduleSha256(module) },
      }));
      return { ...signed, module };
    },
  ),
  hostile('permissions widened after signing', verification('signature_invalid'), (ctx, id) =>
    acmeSigned(ctx, id, (m) => ({
      ...m,
      permissions: { 'net.http': { rules: [{ host: 'exfil.example', methods: ['POST'] }] } },
    })),
  ),
  hostile('limits raised after signing', verification('signature_invalid'), (ctx, id) =>
    acmeSigned(ctx, id, (m) => ({ ...m, limits: { fuel: 1e12, wall_time_ms: 3_600_000 } })),
  ),
  hostile('version changed after signing', verification('signature_invalid'), (ctx, id) =>
    acmeSigned(ctx, id, (m) => ({ ...m, version: '1.0.1' })),
  ),
  hostile(
    "another plugin's signed manifest replayed under this id",
    verification('signature_invalid'),
    (ctx, id) => acmeSigned(ctx, `${id}.original`, (m) => ({ ...m, id })),
  ),
  hostile(
    'signed by a key in no keyring, claiming acme',
    verification('signature_invalid'),
    (ctx, id) => signedOver(ctx, 'acme', id, (m) => ed25519Sign(canonicalBytes(m), stranger(ctx))),
  ),
  hostile(
    "signed with another signer's key, claiming acme",
    verification('signature_invalid'),
    (ctx, id) =>
      signedOver(ctx, 'acme', id, (m) =>
        ed25519Sign(canonicalBytes(m), ctx.signers.other.key.secretKey!),
      ),
  ),
  hostile(
    'claiming the release signer with an unknown key',
    verification('signer_unknown'),
    (ctx, id) => {
      const m = manifestFor(id);
      const signing = { sha256: m.signing.sha256, signer_id: 'convergio-release' };
      const unsigned = { ...m, signing };
      const signature = encodeBase64url(ed25519Sign(canonicalBytes(unsigned), stranger(ctx)));
      return packageOf({ ...unsigned, signing: { ...signing, signature } });
    },
  ),
  hostile('signed by a revoked signer', verification('signer_revoked'), (ctx, id) =>
    packageOf(signedBy(ctx, 'revoked', manifestFor(id))),
  ),
  hostile('revoked signer asking proc.exec', verification('signer_revoked'), (ctx, id) =>
    packageOf(
      signedBy(
        ctx,
        'revoked',
        manifestFor(id, { permissions: { 'proc.exec': { binaries: ['/bin/sh'] } } }),
      ),
    ),
  ),
  hostile('signature over JSON.stringify bytes', verification('signature_invalid'), (ctx, id) =>
    signedOver(ctx, 'acme', id, (m) =>
      ed25519Sign(bytesOf(JSON.stringify(m)), ctx.signers.acme.key.secretKey!),
    ),
  ),
  hostile('signature over pretty-printed JSON', verification('signature_invalid'), (ctx, id) =>
    signedOver(ctx, 'acme', id, (m) =>
      ed25519Sign(bytesOf(JSON.stringify(m, null, 2)), ctx.signers.acme.key.secretKey!),
    ),
  ),
  hostile('signature with S at least L', verification('signature_malformed'), (ctx, id) =>
    withSignature(ctx, id, addOrderToS),
  ),
  hostile('signature with base64 padding', verification('signature_malformed'), (ctx, id) =>
    withSignature(ctx, id, (s) => `${s}==`),
  ),
  hostile('signature with non-zero unused bits', verification('signature_malformed'), (ctx, id) =>
    withSignature(ctx, id, nonCanonicalTail),
  ),
  hostile('signature truncated', verification('signature_malformed'), (ctx, id) =>
    withSignature(ctx, id, (s) => s.slice(0, 85)),
  ),
  hostile('signature with one bit flipped', verification('signature_invalid'), (ctx, id) =>
    withSignature(ctx, id, flipBit),
  ),
  hostile(
    'identity public key with an all-zero signature',
    verification('signer_unknown', 'signer_key_small_order'),
    (ctx, id) => signedOver(ctx, 'identity', id, () => new Uint8Array(64)),
  ),
  hostile(
    'order-8 public key with an identity R and zero S',
    verification('signer_unknown', 'signer_key_small_order'),
    (ctx, id) =>
      signedOver(ctx, 'torsion', id, () => Uint8Array.from([1, ...new Array<number>(63).fill(0)])),
  ),
  hostile(
    'public key with a torsion component',
    verification('signer_unknown', 'signer_key_invalid'),
    (ctx, id) => signedOver(ctx, 'mixed', id, (m) => ed25519Sign(canonicalBytes(m), stranger(ctx))),
  ),
  hostile('signed with a rotated-out key', verification('signer_key_rotated'), (ctx, id) =>
    signedOver(ctx, 'rotated', id, (m) =>
      ed25519Sign(canonicalBytes(m), ctx.signers.rotated.previousKey!.secretKey!),
    ),
  ),
  hostile(
    'signer changed after an approved signed version',
    verification('signer_changed'),
    (ctx, id) => packageOf(signedBy(ctx, 'other', manifestFor(id, { version: '2.0.0' }))),
    { pinnedTo: 'acme' },
  ),
  hostile(
    'unsigned after an approved signed version',
    verification('signer_changed'),
    (_ctx, id) => packageOf(manifestFor(id, { version: '2.0.0' })),
    { pinnedTo: 'acme' },
  ),
];
