// The example plugin's build output; specs fail loudly instead of building it themselves.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUILD_DIR = new URL('../../../../examples/greet-plugin/build/', import.meta.url);

/** Module bytes with the SHA-256 they are loaded under. */
export interface WasmFixture {
  bytes: Uint8Array<ArrayBuffer>;
  sha256: string;
}

/** Reads a module built by examples/greet-plugin. */
export function readWasmFixture(
  file: 'greet.wasm' | 'fixtures.wasm' | 'bench.wasm' | 'hostile.wasm',
): WasmFixture {
  const path = fileURLToPath(new URL(file, BUILD_DIR));
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run npm run build --workspace examples/greet-plugin`);
  }
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
