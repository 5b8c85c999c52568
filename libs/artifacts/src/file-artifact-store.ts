import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactError } from './artifact.errors.js';
import type { ArtifactRef, ArtifactStore } from './artifact-store.js';
import { assertSha256Hex, sha256Hex } from './sha256-digest.js';

/** `ArtifactStore` on a local or shared folder: `<root>/sha256/<first 2 hex>/<hex>`. */
export class FileArtifactStore implements ArtifactStore {
  constructor(private readonly rootDir: string) {}

  async put(bytes: Uint8Array): Promise<ArtifactRef> {
    const sha256 = sha256Hex(bytes);
    const path = this.pathOf(sha256);
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    // Write beside the target and rename: readers never see a half-written file, even after a crash.
    const temp = join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const file = await open(temp, 'wx');
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { sha256, size: bytes.byteLength };
  }

  async get(sha256: string): Promise<Uint8Array> {
    const path = this.pathOf(sha256);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (isNotFound(error))
        throw new ArtifactError('artifact_not_found', `artifact ${sha256} not found`, {
          cause: error,
        });
      throw error;
    }
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new ArtifactError(
        'artifact_corrupt',
        `artifact ${sha256} is corrupt: its content hashes to ${actual}`,
      );
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async has(sha256: string): Promise<boolean> {
    const path = this.pathOf(sha256);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private pathOf(sha256: string): string {
    assertSha256Hex(sha256);
    return join(this.rootDir, 'sha256', sha256.slice(0, 2), sha256);
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
