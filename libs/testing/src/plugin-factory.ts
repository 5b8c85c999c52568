import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '@convergio/contracts';

/** Hex SHA-256 of some bytes, as plugin.json's signing.sha256 wants it. */
export const sha256Hex = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** A module the example package builds: `greet.wasm` (the example plugin), `fixtures.wasm` (misbehaving exports) or `bench.wasm` (what benchmarks call). */
export function exampleModule(
  file: 'greet.wasm' | 'fixtures.wasm' | 'bench.wasm' | 'hostile.wasm',
): Buffer {
  const path = fileURLToPath(
    new URL(`../../../examples/greet-plugin/build/${file}`, import.meta.url),
  );
  if (!existsSync(path))
    throw new Error(`${path} is missing: run "npm run build --workspace examples/greet-plugin"`);
  return readFileSync(path);
}

/**
 * The notes example (`examples/notes-plugin`, tools calling fs_write, fs_read and log): its built
 * module, and its own plugin.json with `signing.sha256` set to the module's hash.
 */
export function notesExample(): { module: Buffer; manifest: Manifest } {
  const root = new URL('../../../examples/notes-plugin/', import.meta.url);
  const path = fileURLToPath(new URL('build/notes.wasm', root));
  if (!existsSync(path))
    throw new Error(`${path} is missing: run "npm run build --workspace examples/notes-plugin"`);
  const module = readFileSync(path);
  const manifest = JSON.parse(readFileSync(new URL('plugin.json', root), 'utf8')) as Manifest;
  return { module, manifest: { ...manifest, signing: { sha256: sha256Hex(module) } } };
}

/** A valid plugin.json for the greet example (hash of `module` when given); override any field. */
export function aManifest(overrides: Partial<Manifest> = {}, module?: Uint8Array): Manifest {
  return {
    id: 'example.greet',
    name: 'Greet',
    version: '1.0.0',
    author: 'Convergio tests',
    license: 'Apache-2.0',
    min_core_version: '0.1.0',
    entrypoint: 'greet.wasm',
    capabilities: {
      tools: [
        {
          name: 'greet',
          function: 'greet',
          description: 'Says hello',
          input_schema: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 } },
            additionalProperties: false,
          },
        },
      ],
    },
    permissions: {},
    signing: { sha256: module ? sha256Hex(module) : 'a'.repeat(64) },
    ...overrides,
  };
}
