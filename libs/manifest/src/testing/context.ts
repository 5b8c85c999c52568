import { randomBytes } from 'node:crypto';
import { HOST_FUNCTIONS } from '@convergio/contracts';
import { DEFAULT_GRANT_POLICY } from '@convergio/policy/grant';
import { generateSignerKeys } from '@convergio/signing';
import type { SubmissionContext } from '../check-submission.js';
import type { Keyring } from '../keyring.js';
import { DEFAULT_INPUT_SCHEMA_BOUNDS } from '../tool-input-schema.js';

/** An Ed25519 key pair; keys no one can sign with (small-order points) have no secret key. */
interface CorpusKey {
  publicKey: Uint8Array;
  secretKey?: Uint8Array;
}

/** The signers of the corpus keyring, by the part each plays. */
export type CorpusSignerRole =
  'acme' | 'other' | 'revoked' | 'rotated' | 'identity' | 'torsion' | 'mixed';

/**
 * A signer as the keyring must hold it before the corpus runs: added with `previousKey` (then
 * rotated to `key`) or with `key`, then revoked when `revoked`. `refusedWith`: the keyring must
 * refuse to add it (POST /v1/signers answers 400 with this detail code); the library runner
 * keeps it in its keyring anyway, as a keyring filled before the check existed would, to prove
 * the verifier refuses its signatures on its own.
 */
export interface CorpusSigner {
  id: string;
  trust: 'trusted' | 'official';
  key: CorpusKey;
  previousKey?: CorpusKey;
  revoked?: boolean;
  refusedWith?: 'signer_key_small_order' | 'signer_key_invalid';
}

/** What the corpus entries build against: the keyring's signers, a key in no keyring, plugin ids. */
export interface HostileContext {
  signers: Record<CorpusSignerRole, CorpusSigner>;
  /** A key that belongs to no signer of any keyring. */
  stranger: CorpusKey;
  /** The plugin id of the entry named `name`, unique per context. */
  pluginId: (name: string) => string;
}

const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** The identity point (y = 1): under ZIP-215 rules, the all-zero signature verifies for any message. */
const IDENTITY_PUBLIC_KEY = fromHex(`01${'00'.repeat(31)}`);
/** A point of order 8 (a torsion point, small order). */
const TORSION_PUBLIC_KEY = fromHex(
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
);
/**
 * [0x1234567890abcdef]B + the order-8 point above: on the curve, canonical, not small order,
 * but not in the prime-order subgroup (made with @noble/ed25519 Point.add).
 */
const MIXED_ORDER_PUBLIC_KEY = fromHex(
  'c2ecc2af9bfefd06ee0f9cbb9adf4abda71f6a01db3f1a78458754856f6bd5c4',
);

/**
 * A new context. `suffix` (e.g. `-3fa9c1`) makes signer ids and plugin ids unique on a shared
 * platform; the library runner leaves it empty.
 */
export function hostileContext(suffix = ''): HostileContext {
  const signer = (role: string, extra: Partial<CorpusSigner> = {}): CorpusSigner => ({
    id: `corpus-${role}${suffix}`,
    trust: 'trusted',
    key: generateSignerKeys(),
    ...extra,
  });
  return {
    signers: {
      acme: signer('acme'),
      other: signer('other'),
      revoked: signer('revoked', { revoked: true }),
      rotated: signer('rotated', { previousKey: generateSignerKeys() }),
      identity: signer('identity', {
        key: { publicKey: IDENTITY_PUBLIC_KEY },
        refusedWith: 'signer_key_small_order',
      }),
      torsion: signer('torsion', {
        key: { publicKey: TORSION_PUBLIC_KEY },
        refusedWith: 'signer_key_small_order',
      }),
      mixed: signer('mixed', {
        key: { publicKey: MIXED_ORDER_PUBLIC_KEY },
        refusedWith: 'signer_key_invalid',
      }),
    },
    stranger: generateSignerKeys(),
    pluginId: (name) => `corpus.${slug(name)}${suffix}`,
  };
}

/** A random suffix for {@link hostileContext}. */
export const corpusSuffix = () => `-${randomBytes(3).toString('hex')}`;

/** A plugin id segment from an entry name: lowercase letters, digits and dashes, at most 48. */
function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 48)
    .replace(/^-+|-+$/g, '');
}

/**
 * The context the corpus is checked in at library level: the e2e platform's core version
 * (CORE_VERSION's default) and default grant policy, plugin directories under /srv/convergio,
 * the executor's host functions, and `keyring`. The library's other submission specs start from
 * it too, overriding what they test.
 */
export const corpusSubmissionContext = (keyring: Keyring): SubmissionContext => ({
  coreVersion: '0.1.0',
  keyring,
  policy: DEFAULT_GRANT_POLICY,
  grantContext: (pluginId) => ({
    pluginId,
    pluginDir: `/srv/convergio/plugin-files/${pluginId}`,
    protection: { roots: ['/srv/convergio'], ownDir: `/srv/convergio/plugin-files/${pluginId}` },
    realPath: (path) => path,
  }),
  hostFunctions: HOST_FUNCTIONS,
  inputSchemaBounds: DEFAULT_INPUT_SCHEMA_BOUNDS,
});
