import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArtifactError } from './artifact.errors.js';
import type { ArtifactRef, ArtifactStore, StagedArtifact } from './artifact-store.js';
import { assertSha256Hex, sha256Hex } from './sha256-digest.js';

const UPLOAD_ID = /^[0-9a-f]{32}$/;

/**
 * `ArtifactStore` on a local or shared folder: `<root>/sha256/<first 2 hex>/<hex>`, and staged
 * uploads under `<root>/uploads/<upload id>` until they are promoted or discarded.
 */
export class FileArtifactStore implements ArtifactStore {
  constructor(private readonly rootDir: string) {}

  async put(bytes: Uint8Array): Promise<ArtifactRef> {
    const sha256 = sha256Hex(bytes);
    await writeDurably(this.pathOf(sha256), bytes);
    return { sha256, size: bytes.byteLength };
  }

  async stage(bytes: Uint8Array): Promise<StagedArtifact> {
    const upload_id = randomBytes(16).toString('hex');
    await writeDurably(this.uploadPathOf(upload_id), bytes);
    return { upload_id, sha256: sha256Hex(bytes), size: bytes.byteLength };
  }

  async promote(uploadId: string, sha256: string): Promise<ArtifactRef> {
    const staged = this.uploadPathOf(uploadId);
    const path = this.pathOf(sha256);
    const bytes = await readOrNotFound(staged, `upload ${uploadId}`);
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new ArtifactError(
        'artifact_corrupt',
        `upload ${uploadId} hashes to ${actual}, not ${sha256}`,
      );
    }
    // The staged file was fsynced when written; a rename within the store keeps it whole.
    await inDirectory(dirname(path), () => rename(staged, path));
    return { sha256, size: bytes.byteLength };
  }

  async discard(uploadId: string): Promise<void> {
    await rm(this.uploadPathOf(uploadId), { force: true });
  }

  async get(sha256: string): Promise<Uint8Array> {
    const bytes = await readOrNotFound(this.pathOf(sha256), `artifact ${sha256}`);
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

  /** Deletes the file, then its shard directory when that leaves it empty. */
  async remove(sha256: string): Promise<boolean> {
    const path = this.pathOf(sha256);
    let removed = true;
    try {
      await unlink(path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      removed = false;
    }
    await removeIfEmpty(dirname(path));
    return removed;
  }

  private pathOf(sha256: string): string {
    assertSha256Hex(sha256);
    return join(this.rootDir, 'sha256', sha256.slice(0, 2), sha256);
  }

  private uploadPathOf(uploadId: string): string {
    if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) {
      throw new ArtifactError(
        'artifact_invalid_upload_id',
        `not an upload id (32 lowercase hex): ${JSON.stringify(String(uploadId).slice(0, 80))}`,
      );
    }
    return join(this.rootDir, 'uploads', uploadId);
  }
}

/**
 * Writes beside the target and renames: readers never see a half-written file, even after a crash.
 * Once the temporary file exists its directory is not empty, so no `remove` takes it away.
 */
async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await inDirectory(dir, () => open(temp, 'wx'));
  try {
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
}

/**
 * Makes `dir` and runs `create`, which makes a file in it; again when `create` fails because `dir`
 * is gone: a concurrent `remove` found it empty in between and deleted it.
 */
async function inDirectory<T>(dir: string, create: () => Promise<T>): Promise<T> {
  for (;;) {
    await mkdir(dir, { recursive: true });
    try {
      return await create();
    } catch (error) {
      if (!isNotFound(error) || (await exists(dir))) throw error;
    }
  }
}

/**
 * Deletes a shard directory its last file left empty. One a concurrent write put a file into
 * (ENOTEMPTY, or EEXIST on some systems) or a concurrent remove already took (ENOENT) stays as
 * it is; a write that finds it gone makes it again (`inDirectory`).
 */
async function removeIfEmpty(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function readOrNotFound(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isNotFound(error))
      throw new ArtifactError('artifact_not_found', `${what} not found`, { cause: error });
    throw error;
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
