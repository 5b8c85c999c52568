import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactError, type ArtifactErrorCode } from './artifact.errors.js';
import { FileArtifactStore } from './file-artifact-store.js';
import { sameShard } from './same-shard.spec-helper.js';
import { sha256Hex } from './sha256-digest.js';

const HELLO = new TextEncoder().encode('hello');
const HELLO_SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

describe('FileArtifactStore', () => {
  let root: string;
  let store: FileArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'convergio-artifacts-'));
    store = new FileArtifactStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores bytes under their sha256 and returns them intact', async () => {
    const ref = await store.put(HELLO);

    expect(ref).toEqual({ sha256: HELLO_SHA256, size: 5 });
    expect(await store.has(HELLO_SHA256)).toBe(true);
    expect(Buffer.from(await store.get(HELLO_SHA256)).toString()).toBe('hello');
    expect(await readFile(join(root, 'sha256', '2c', HELLO_SHA256), 'utf8')).toBe('hello');
  });

  it('is idempotent and leaves no temporary files behind', async () => {
    await Promise.all([store.put(HELLO), store.put(HELLO), store.put(HELLO)]);

    expect(await readdir(join(root, 'sha256', '2c'))).toEqual([HELLO_SHA256]);
  });

  it('stores empty content', async () => {
    const ref = await store.put(new Uint8Array());

    expect(ref.size).toBe(0);
    expect(await store.get(ref.sha256)).toHaveLength(0);
  });

  it('reports a missing artifact as artifact_not_found', async () => {
    expect(await store.has(HELLO_SHA256)).toBe(false);
    await expectCode(store.get(HELLO_SHA256), 'artifact_not_found');
  });

  it('reports a tampered file as artifact_corrupt', async () => {
    await store.put(HELLO);
    await writeFile(join(root, 'sha256', '2c', HELLO_SHA256), 'hellO');

    await expectCode(store.get(HELLO_SHA256), 'artifact_corrupt');
  });

  it('removes stored content, answering whether it was there, and leaves other content alone', async () => {
    const other = await store.put(new TextEncoder().encode('other'));
    await store.put(HELLO);
    expect(await store.remove(HELLO_SHA256)).toBe(true);
    expect(await store.has(HELLO_SHA256)).toBe(false);
    expect(await store.remove(HELLO_SHA256)).toBe(false);
    expect(await store.has(other.sha256)).toBe(true);
  });

  it('removes the shard directory its last artifact leaves empty, and keeps one that holds another', async () => {
    const [first, second] = sameShard(2, '2c');
    await store.put(first);
    await store.put(second);
    const other = await store.put(new TextEncoder().encode('other'));

    await store.remove(sha256Hex(first));
    expect(await readdir(join(root, 'sha256', '2c'))).toEqual([sha256Hex(second)]);
    await store.remove(sha256Hex(second));
    expect(await readdir(join(root, 'sha256'))).toEqual([other.sha256.slice(0, 2)]);
    // Removing what is gone, from a shard that is gone, is still a no-op.
    expect(await store.remove(sha256Hex(second))).toBe(false);
  });

  describe('staged uploads', () => {
    const files = async () => (await readdir(root, { recursive: true })).sort();

    it('keeps a staged upload out of the store until it is promoted', async () => {
      const staged = await store.stage(HELLO);

      expect(staged).toEqual({
        upload_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        sha256: HELLO_SHA256,
        size: 5,
      });
      expect(await store.has(HELLO_SHA256)).toBe(false);
      expect(await files()).toEqual(['uploads', `uploads/${staged.upload_id}`]);

      expect(await store.promote(staged.upload_id, HELLO_SHA256)).toEqual({
        sha256: HELLO_SHA256,
        size: 5,
      });
      expect(Buffer.from(await store.get(HELLO_SHA256)).toString()).toBe('hello');
      expect(await readdir(join(root, 'uploads'))).toEqual([]);
    });

    it('leaves no file behind when a staged upload is discarded, and discarding again is a no-op', async () => {
      const staged = await store.stage(HELLO);

      await store.discard(staged.upload_id);
      await store.discard(staged.upload_id);

      expect(await files()).toEqual(['uploads']);
      await expectCode(store.promote(staged.upload_id, HELLO_SHA256), 'artifact_not_found');
    });

    it('makes discard a no-op after promotion', async () => {
      const staged = await store.stage(HELLO);
      await store.promote(staged.upload_id, HELLO_SHA256);

      await store.discard(staged.upload_id);

      expect(await store.has(HELLO_SHA256)).toBe(true);
    });

    it('gives each staged upload its own name, even for the same bytes', async () => {
      const [a, b] = await Promise.all([store.stage(HELLO), store.stage(HELLO)]);

      expect(a.upload_id).not.toBe(b.upload_id);
      await store.discard(a.upload_id);
      await store.promote(b.upload_id, HELLO_SHA256);
      expect(await store.has(HELLO_SHA256)).toBe(true);
    });

    it('refuses to promote an upload that changed since it was staged, keeping it out of the store', async () => {
      const staged = await store.stage(HELLO);
      await writeFile(join(root, 'uploads', staged.upload_id), 'hellO');

      await expectCode(store.promote(staged.upload_id, HELLO_SHA256), 'artifact_corrupt');
      expect(await store.has(HELLO_SHA256)).toBe(false);
    });

    it.each([
      '../sha256/2c/' + HELLO_SHA256,
      '../../etc/passwd',
      'A'.repeat(32),
      '0'.repeat(31),
      '',
    ])('refuses the upload id %j before touching the disk', async (uploadId) => {
      await expectCode(store.promote(uploadId, HELLO_SHA256), 'artifact_invalid_upload_id');
      await expectCode(store.discard(uploadId), 'artifact_invalid_upload_id');
    });
  });

  it.each([
    '../../etc/passwd',
    '../sha256/2c/' + HELLO_SHA256,
    '/etc/passwd',
    HELLO_SHA256.toUpperCase(),
    HELLO_SHA256.slice(0, 63),
    HELLO_SHA256 + '0',
    `${HELLO_SHA256.slice(0, 62)}/.`,
    `${HELLO_SHA256.slice(0, 63)}\0`,
    '..%2F..%2Fetc%2Fpasswd',
    '',
  ])('refuses the digest %j before touching the disk', async (digest) => {
    await expectCode(store.get(digest), 'artifact_invalid_digest');
    await expectCode(store.has(digest), 'artifact_invalid_digest');
    await expectCode(store.remove(digest), 'artifact_invalid_digest');
  });
});

async function expectCode(promise: Promise<unknown>, code: ArtifactErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArtifactError);
  expect((error as ArtifactError).code).toBe(code);
}
