import fc from 'fast-check';
import {
  canonicalManifestBytes,
  decodeBase64url,
  encodeBase64url,
  parseManifestText,
  verifyManifestSignature,
} from '@convergio/signing';
import { checkSubmission } from './check-submission.js';
import { keyIdOf, type Keyring } from './keyring.js';
import { corpusSubmissionContext, hostileContext } from './testing/index.js';
import { manifestFor, signedBy } from './testing/hostile-entry.js';
import { wasmModule } from './testing/wasm.js';

// Property-based, through checkSubmission with a keyring: random manifests, random mutations of
// a validly signed one and random signatures never make the checks throw, and a manifest is
// accepted only when its canonical bytes and signature are the ones signed (reordering keys
// changes neither, so a reordered manifest still verifies).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const ctx = hostileContext();
const acme = ctx.signers.acme;
// A module that compiles in microseconds and exports what the manifest declares.
const MODULE = wasmModule({ exports: ['greet'] });
const SIGNED = signedBy(ctx, 'acme', manifestFor('corpus.properties'), MODULE) as unknown as Json;
const SIGNED_BYTES = Buffer.from(canonicalManifestBytes(SIGNED)).toString('hex');
const SIGNATURE = (SIGNED as { signing: { signature: string } }).signing.signature;
const RUNS = { numRuns: 200 };

const keyring: Keyring = {
  signer: (id) =>
    id === acme.id
      ? {
          id,
          trust: acme.trust,
          revoked: false,
          keys: [
            { keyId: keyIdOf(acme.key.publicKey), publicKey: acme.key.publicKey, rotatedAt: null },
          ],
        }
      : undefined,
  pinnedSigner: () => undefined,
  signedBeforeRotation: () => false,
};
const context = corpusSubmissionContext(keyring);

/** Every path below the root, containers included. */
function pathsOf(value: Json, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...at, key], ...pathsOf(child, [...at, key])]);
}
const PATHS = pathsOf(SIGNED);
const CONTAINERS = [[], ...PATHS].filter((p) => {
  const v = getAt(SIGNED, p);
  return v !== null && typeof v === 'object' && !Array.isArray(v);
});

/** The value at `path`, or null where an earlier mutation left no container on the way. */
function getAt(value: Json, path: Path): Json {
  return path.reduce<Json>(
    (v, key) =>
      v !== null && typeof v === 'object' ? ((v as Record<string, Json>)[key] ?? null) : null,
    value,
  );
}
/** A copy of `value` with `change` applied to the parent of `path` and its last key. */
function atParent(
  value: Json,
  path: Path,
  change: (parent: Json, key: string | number) => void,
): Json {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') return copy;
  change(parent, path[path.length - 1]);
  return copy;
}
/** The same value with every object's keys in reverse order. */
function reordered(value: Json): Json {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(reordered);
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reordered(v)]),
  );
}

const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>;
const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'signature', 'id'));
type Mutation = (m: Json) => Json;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ i: fc.nat(), v: json }).map(({ i, v }) => (m: Json) => {
    const paths = pathsOf(m);
    return paths.length
      ? atParent(m, paths[i % paths.length], (p, k) => void ((p as Record<string, Json>)[k] = v))
      : m;
  }),
  fc.record({ i: fc.nat(), k: key, v: json }).map(({ i, k, v }) => (m: Json) => {
    const target = getAt(m, CONTAINERS[i % CONTAINERS.length]);
    if (target === null || typeof target !== 'object' || Array.isArray(target)) return m;
    return atParent(m, [...CONTAINERS[i % CONTAINERS.length], k], (p, kk) =>
      Object.defineProperty(p, kk, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      }),
    );
  }),
  fc.nat().map((i) => (m: Json) => {
    const paths = pathsOf(m);
    if (!paths.length) return m;
    return atParent(m, paths[i % paths.length], (p, k) => {
      if (Array.isArray(p)) p.splice(Number(k), 1);
      else delete (p as Record<string, Json>)[k];
    });
  }),
  fc.constant(reordered),
  fc.nat({ max: 511 }).map(
    (bit) => (m: Json) =>
      atParent(m, ['signing', 'signature'], (p, k) => {
        const signature = (p as Record<string, Json>)[k];
        const bytes = typeof signature === 'string' ? decodeBase64url(signature) : undefined;
        if (!bytes) return;
        const flipped = Uint8Array.from(bytes);
        flipped[bit >> 3] ^= 1 << (bit & 7);
        (p as Record<string, Json>)[k] = encodeBase64url(flipped);
      }),
  ),
  fc
    .string({ minLength: 1, maxLength: 20 })
    .map(
      (id) => (m: Json) =>
        atParent(m, ['signing', 'signer_id'], (p, k) => void ((p as Record<string, Json>)[k] = id)),
    ),
);

/** Hex canonical bytes of a manifest (without its signature), or undefined when it has none. */
function canonicalHex(m: Json): string | undefined {
  try {
    return Buffer.from(canonicalManifestBytes(m)).toString('hex');
  } catch {
    return undefined;
  }
}
const signatureOf = (m: Json) =>
  (m as { signing?: { signature?: unknown } } | null)?.signing?.signature;

describe('checkSubmission and verifyManifestSignature under random input', () => {
  it('accept the signed manifest, and a copy of it with every key reordered', async () => {
    expect(await checkSubmission(SIGNED, MODULE, context)).toMatchObject({ ok: true });
    expect(await checkSubmission(reordered(SIGNED), MODULE, context)).toMatchObject({ ok: true });
  });

  it('never throw on random values and never accept one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(json, fc.anything()), async (value) => {
        const check = await checkSubmission(value, MODULE, context);
        expect(check.ok).toBe(false);
        expect(verifyManifestSignature(value, MODULE, acme.key.publicKey).ok).toBe(false);
      }),
      RUNS,
    );
  });

  it('never throw on random text or bytes as plugin.json', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array(),
          json.map((v) => JSON.stringify(v)),
        ),
        (input) => {
          const parsed = parseManifestText(input);
          expect(typeof parsed.ok).toBe('boolean');
        },
      ),
      RUNS,
    );
  });

  it('accept a mutated signed manifest as signed only when its canonical bytes and signature are the signed ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const mutated = mutations.reduce((m, mutate) => mutate(m), SIGNED);
        const unchanged =
          canonicalHex(mutated) === SIGNED_BYTES && signatureOf(mutated) === SIGNATURE;
        const check = await checkSubmission(mutated, MODULE, context);
        const verified = verifyManifestSignature(mutated, MODULE, acme.key.publicKey);
        // Unsigned is a manifest of its own (untrusted), accepted without a signer.
        expect(check.ok && check.signature !== null).toBe(unchanged);
        expect(verified.ok).toBe(unchanged);
      }),
      RUNS,
    );
  });

  it('never accept a random signature, of any form', async () => {
    const signature = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.uint8Array({ minLength: 64, maxLength: 64 }).map(encodeBase64url),
      fc.uint8Array({ minLength: 0, maxLength: 96 }).map((b) => Buffer.from(b).toString('base64')),
    );
    await fc.assert(
      fc.asyncProperty(signature, async (s) => {
        fc.pre(s !== SIGNATURE);
        const forged = {
          ...(SIGNED as object),
          signing: { ...(SIGNED as { signing: object }).signing, signature: s },
        };
        expect((await checkSubmission(forged, MODULE, context)).ok).toBe(false);
        expect(verifyManifestSignature(forged, MODULE, acme.key.publicKey).ok).toBe(false);
      }),
      RUNS,
    );
  });
});
