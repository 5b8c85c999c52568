import { jest } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sameShard } from './same-shard.spec-helper.js';
import { sha256Hex } from './sha256-digest.js';

// Hook between a write's mkdir of its shard and the file it makes there: where a concurrent
// remove can find the shard empty and delete it.
const actual = await import('node:fs/promises');
let afterMkdir: ((dir: string) => Promise<void>) | null = null;
jest.unstable_mockModule('node:fs/promises', () => ({
  ...actual,
  mkdir: async (...args: Parameters<typeof actual.mkdir>) => {
    const made = await actual.mkdir(...args);
    const hook = afterMkdir;
    afterMkdir = null;
    await hook?.(String(args[0]));
    return made;
  },
}));
const { FileArtifactStore } = await import('./file-artifact-store.js');

describe('FileArtifactStore: a write racing the remove that empties its shard', () => {
  let root: string;
  let store: InstanceType<typeof FileArtifactStore>;
  const [last, next] = sameShard(2, '2c');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'convergio-artifacts-race-'));
    store = new FileArtifactStore(root);
    await store.put(last);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Removes `last`, and with it the shard, just after the write made sure the shard exists. */
  const removeLastAfterMkdir = () => {
    afterMkdir = async (dir) => {
      expect(dir).toBe(join(root, 'sha256', '2c'));
      expect(await store.remove(sha256Hex(last))).toBe(true);
      expect(await readdir(join(root, 'sha256'))).toEqual([]);
    };
  };

  it('put makes the shard again and stores its content', async () => {
    removeLastAfterMkdir();
    await store.put(next);
    expect(afterMkdir).toBeNull();
    expect(Buffer.from(await store.get(sha256Hex(next)))).toEqual(Buffer.from(next));
    expect(await readdir(join(root, 'sha256', '2c'))).toEqual([sha256Hex(next)]);
  });

  it('promote makes the shard again and moves the upload into it', async () => {
    const staged = await store.stage(next);
    removeLastAfterMkdir();
    await store.promote(staged.upload_id, staged.sha256);
    expect(afterMkdir).toBeNull();
    expect(Buffer.from(await store.get(sha256Hex(next)))).toEqual(Buffer.from(next));
  });
});
