import fc from 'fast-check';
import type { Manifest } from '@convergio/contracts';
import { aManifest } from '@convergio/testing';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalManifestBytes } from './canonical-json.js';
import { signerPublicKey } from './ed25519.js';
import { moduleSha256, signManifest, verifyManifestSignature } from './manifest-signature.js';
import { parseManifestText } from './parse-manifest-text.js';

// Property-based: whatever is done to a signed manifest, its signature, the key or the module,
// verification never throws, and it accepts only when the canonical bytes are the ones signed,
// the module is the one signed and the key is the signer's.

const SECRET = new Uint8Array(32).fill(3);
const PUBLIC = signerPublicKey(SECRET);
const MODULE = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 42]);
const RUNS = { numRuns: 300 };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const manifests: fc.Arbitrary<Manifest> = fc
  .record({
    name: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }),
    paths: fc.array(fc.constantFrom('/srv/data', '/tmp/x', '$PLUGIN_DIR', '/'), {
      minLength: 1,
      maxLength: 3,
    }),
    fuel: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }),
    wall: fc.option(fc.integer({ min: 1, max: 60_000 }), { nil: undefined }),
    schemaExtra: fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, {
      maxKeys: 4,
    }),
  })
  .map(({ name, paths, fuel, wall, schemaExtra }) =>
    aManifest({
      name,
      permissions: { 'fs.read': { paths: [...new Set(paths)] } },
      limits: {
        ...(fuel === undefined ? {} : { fuel }),
        ...(wall === undefined ? {} : { wall_time_ms: wall }),
      },
      capabilities: {
        tools: [
          {
            name: 'greet',
            function: 'greet',
            description: 'Says hello',
            input_schema: { type: 'object', ...schemaExtra },
          },
        ],
      },
    }),
  )
  // signManifest refuses what plugin.json could not hold (an integer beyond ±(2^53 - 1)).
  .filter((manifest) => parseManifestText(JSON.stringify(manifest)).ok);

/** Every path to a member or element of `value` (not the root). */
function pathsOf(value: Json, path: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...path, key], ...pathsOf(child, [...path, key])]);
}

function edit(
  value: Json,
  path: Path,
  change: (parent: Record<string | number, Json>, key: string | number) => void,
): Json {
  const copy = structuredClone(value);
  let parent = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  change(parent, path[path.length - 1]);
  return copy;
}

type Mutation =
  | { kind: 'none' }
  | { kind: 'set'; pick: number; value: Json }
  | { kind: 'delete'; pick: number }
  | { kind: 'rename'; pick: number; name: string }
  | { kind: 'signatureBytes'; bytes: Uint8Array }
  | { kind: 'signatureText'; text: string }
  | { kind: 'flipSignatureBit'; bit: number }
  | { kind: 'key'; key: Uint8Array }
  | { kind: 'module'; module: Uint8Array };

const mutations: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ kind: 'none' }),
  fc.record({
    kind: fc.constant('set' as const),
    pick: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rename' as const), pick: fc.nat(), name: text }),
  fc.record({
    kind: fc.constant('signatureBytes' as const),
    bytes: fc.uint8Array({ maxLength: 70 }),
  }),
  fc.record({
    kind: fc.constant('signatureText' as const),
    text: fc.string({ unit: 'binary', maxLength: 100 }),
  }),
  fc.record({
    kind: fc.constant('flipSignatureBit' as const),
    bit: fc.integer({ min: 0, max: 511 }),
  }),
  fc.record({
    kind: fc.constant('key' as const),
    key: fc.uint8Array({ minLength: 0, maxLength: 33 }),
  }),
  fc.record({ kind: fc.constant('module' as const), module: fc.uint8Array({ maxLength: 16 }) }),
);

function apply(
  signed: Json,
  mutation: Mutation,
): { manifest: Json; module: Uint8Array; key: Uint8Array } {
  const withSig = (signature: string) =>
    edit(signed, ['signing', 'signature'], (parent, key) => (parent[key] = signature));
  const signature = decodeBase64url(
    (signed as { signing: { signature: string } }).signing.signature,
  )!;
  const paths = pathsOf(signed);
  const path = 'pick' in mutation ? paths[mutation.pick % paths.length] : [];
  const result = { manifest: signed, module: MODULE, key: PUBLIC };
  switch (mutation.kind) {
    case 'none':
      return result;
    case 'set':
      return {
        ...result,
        manifest: edit(signed, path, (parent, key) => (parent[key] = mutation.value)),
      };
    case 'delete':
      return {
        ...result,
        manifest: edit(signed, path, (parent, key) =>
          Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key],
        ),
      };
    case 'rename':
      return {
        ...result,
        manifest: edit(signed, path, (parent, key) => {
          if (Array.isArray(parent)) return;
          const child = parent[key];
          delete parent[key];
          parent[mutation.name] = child;
        }),
      };
    case 'signatureBytes':
      return { ...result, manifest: withSig(encodeBase64url(mutation.bytes)) };
    case 'signatureText':
      return { ...result, manifest: withSig(mutation.text) };
    case 'flipSignatureBit': {
      const flipped = Uint8Array.from(signature);
      flipped[mutation.bit >> 3] ^= 1 << (mutation.bit & 7);
      return { ...result, manifest: withSig(encodeBase64url(flipped)) };
    }
    case 'key':
      return { ...result, key: mutation.key };
    case 'module':
      return { ...result, module: mutation.module };
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('verification, property-based', () => {
  it('never throws and accepts only the signed canonical bytes, module and key', () => {
    fc.assert(
      fc.property(manifests, mutations, (manifest, mutation) => {
        const signed = signManifest(manifest, MODULE, SECRET, 'prop') as unknown as Json;
        const signedBytes = canonicalManifestBytes(signed);
        const { manifest: candidate, module, key } = apply(signed, mutation);
        const result = verifyManifestSignature(candidate, module, key);
        if (mutation.kind === 'none') expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(sameBytes(canonicalManifestBytes(candidate), signedBytes)).toBe(true);
        expect(moduleSha256(module)).toBe(moduleSha256(MODULE));
        expect(sameBytes(key, PUBLIC)).toBe(true);
        expect((candidate as { signing: { signature: string } }).signing.signature).toBe(
          (signed as { signing: { signature: string } }).signing.signature,
        );
      }),
      RUNS,
    );
  });

  it('accepts a signed plugin.json re-spelled (whitespace, key order), and refuses any one-character edit that changes its value', () => {
    const respelled = (value: Json, indent: number, reverse: boolean): string =>
      JSON.stringify(
        value,
        function (this: unknown, _key, v: Json) {
          if (v === null || typeof v !== 'object' || Array.isArray(v) || !reverse) return v;
          return Object.fromEntries(Object.entries(v).reverse());
        },
        indent,
      );
    fc.assert(
      fc.property(
        manifests,
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.nat(),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        (manifest, indent, reverse, at, replacement) => {
          const signed = signManifest(manifest, MODULE, SECRET, 'prop') as unknown as Json;
          const signedBytes = canonicalManifestBytes(signed);
          const text = respelled(signed, indent, reverse);
          const parsed = parseManifestText(text);
          expect(parsed.ok && verifyManifestSignature(parsed.value, MODULE, PUBLIC).ok).toBe(true);

          const i = at % text.length;
          const edited = text.slice(0, i) + replacement + text.slice(i + 1);
          const reparsed = parseManifestText(edited);
          if (!reparsed.ok) return;
          const result = verifyManifestSignature(reparsed.value, MODULE, PUBLIC);
          if (result.ok)
            expect(sameBytes(canonicalManifestBytes(reparsed.value), signedBytes)).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('never throws on values of any kind', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (manifest, module, key) => {
        const result = verifyManifestSignature(manifest, module as Uint8Array, key as Uint8Array);
        expect(result.ok).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('parseManifestText, property-based', () => {
  it('agrees with JSON.parse on JSON without duplicate keys, or refuses a number JSON.parse would round', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (json) => {
        const result = parseManifestText(json);
        if (result.ok) expect(result.value).toEqual(JSON.parse(json));
        else expect(result.code).toBe('manifest_unsafe_number');
      }),
      RUNS,
    );
  });

  it('refuses a key repeated in any object, however deep', () => {
    const objects = fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, {
      minKeys: 1,
      maxKeys: 5,
    });
    fc.assert(
      fc.property(
        objects,
        fc.nat(),
        fc.jsonValue() as fc.Arbitrary<Json>,
        fc.nat({ max: 3 }),
        (object, pick, other, depth) => {
          const keys = Object.keys(object);
          const key = keys[pick % keys.length];
          const members = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(object[k])}`);
          members.splice(
            pick % (members.length + 1),
            0,
            `${JSON.stringify(key)}:${JSON.stringify(other)}`,
          );
          const text = '{"a":['.repeat(depth) + `{${members.join(',')}}` + ']}'.repeat(depth);
          expect(parseManifestText(text)).toMatchObject({
            ok: false,
            code: 'manifest_duplicate_key',
          });
        },
      ),
      RUNS,
    );
  });
});
