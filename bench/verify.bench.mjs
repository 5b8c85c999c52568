// Verification of a typical signed plugin (its plugin.json read, checked against the schema,
// canonicalised, its signature verified, its 1 MiB module hashed) against the sum of the same
// primitives measured alone in the same run.
import { createHash, randomBytes } from 'node:crypto';
import { validateManifest } from '../libs/contracts/dist/index.js';
import {
  canonicalManifestBytes,
  decodeBase64url,
  ed25519Verify,
  generateSignerKeys,
  parseManifestText,
  signManifest,
  verifyManifestSignature,
} from '../libs/signing/dist/index.js';
import { aManifest } from '../libs/testing/dist/index.js';
import { median, sample } from './lib/stats.mjs';
import { record } from './lib/results.mjs';

const MODULE_BYTES = 1024 * 1024;
const options = { warmup: 20, iterations: 100 };

/** The signed verification path the verification service runs on every submission. */
function verify(text, module, publicKey) {
  const parsed = parseManifestText(text);
  if (!parsed.ok) throw new Error(parsed.message);
  const check = verifyManifestSignature(validateManifest(parsed.value), module, publicKey);
  if (!check.ok) throw new Error(check.message);
}

export async function run() {
  const module = randomBytes(MODULE_BYTES);
  const keys = generateSignerKeys();
  const manifest = aManifest({
    permissions: {
      'fs.read': { paths: ['$PLUGIN_DIR'] },
      'net.http': { rules: [{ host: 'api.example.com', methods: ['GET', 'POST'] }] },
    },
    limits: { fuel: 50_000_000, memory_pages: 64 },
  });
  const signed = signManifest(manifest, module, keys.secretKey, 'bench-signer');
  const text = JSON.stringify(signed, null, 2);
  const bytes = canonicalManifestBytes(signed);
  const signature = decodeBase64url(signed.signing.signature);
  verify(text, module, keys.publicKey);

  const primitives = {
    parse: () => JSON.parse(text),
    schema: () => validateManifest(JSON.parse(text)),
    canonicalise: () => canonicalManifestBytes(signed),
    signature: () => ed25519Verify(signature, bytes, keys.publicKey),
    sha256: () => createHash('sha256').update(module).digest('hex'),
  };
  const cases = { ...primitives, whole: () => verify(text, module, keys.publicKey) };
  // Alternating rounds, so that load on the shared machine hits every case alike.
  const rounds = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < 5; round++)
    for (const [name, fn] of Object.entries(cases))
      rounds[name].push(median(await sample(fn, options)));
  const us = Object.fromEntries(
    Object.entries(rounds).map(([name, values]) => [name, median(values.sort((a, b) => a - b))]),
  );
  for (const name of Object.keys(primitives)) record(`verify_primitive_${name}_us`, us[name], 'µs');
  // The schema case parses too: its own share is what it adds to parsing.
  const sum = us.schema + us.canonicalise + us.signature + us.sha256;
  const whole = us.whole;
  record('verify_signed_plugin_us', whole, 'µs');
  record('verify_vs_primitives_ratio', whole / sum, 'x');
}
