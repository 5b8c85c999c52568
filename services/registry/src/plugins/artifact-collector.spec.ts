import { jest } from '@jest/globals';
import { EventSubjects, RequestSubjects } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually, sha256Hex } from '@convergio/testing';
import { registryPersistence, RegistryModule } from '../index.js';
import { ArtifactCollector } from './artifact-collector.js';
import { distinctDigests, isReferenced, lockArtifacts } from './artifact-references.js';

describe('registry: artifacts of rejected versions', () => {
  let h: ServiceHarness;
  let collector: ArtifactCollector;

  beforeAll(async () => {
    h = await startServiceHarness({ ...registryPersistence, feature: RegistryModule });
    collector = h.app.get(ArtifactCollector);
  });
  afterAll(() => h?.close());

  const bytes = (text: string) => Buffer.from(text);
  const submit = async (id: string, version: string, module: Buffer, sbom?: Buffer) => {
    const staged = await h.artifacts.stage(module);
    const stagedSbom = sbom && (await h.artifacts.stage(sbom));
    return h.bus.request(RequestSubjects.RegistrySubmit, {
      manifest: { id, version, name: id },
      module_sha256: staged.sha256,
      module_size: staged.size,
      upload_id: staged.upload_id,
      ...(stagedSbom && {
        sbom: { sha256: stagedSbom.sha256, size: stagedSbom.size, upload_id: stagedSbom.upload_id },
      }),
      submitted_by: 'key-of-acme',
      submitted_by_issuer: 'admin-of-acme',
      publisher: 'acme',
    });
  };
  const state = (id: string, version: string) =>
    h.bus.request(RequestSubjects.RegistryGetVersion, { plugin_id: id, version });
  const reject = async (id: string, version: string) => {
    await h.bus.publish(EventSubjects.PluginRejected, {
      plugin_id: id,
      version,
      stage: 'verification',
      reasons: [{ code: 'signature_invalid', message: 'bad signature' }],
      rejected_by: 'verification',
    });
    await expectEventually(async () => expect((await state(id, version)).status).toBe('rejected'));
  };
  const stored = (content: Buffer) => h.artifacts.has(sha256Hex(content));
  const referenced = (content: Buffer) =>
    h.dataSource.transaction((m) => isReferenced(m, sha256Hex(content)));

  describe('the reference check', () => {
    it('counts a version that is not rejected, as module or as SBOM, and not a rejected one', async () => {
      const module = bytes('ref module');
      const sbom = bytes('{"ref":"sbom"}');
      expect(await referenced(module)).toBe(false);
      await submit('ref.one', '1.0.0', module, sbom);
      expect(await referenced(module)).toBe(true);
      expect(await referenced(sbom)).toBe(true);
      await reject('ref.one', '1.0.0');
      expect(await referenced(module)).toBe(false);
      expect(await referenced(sbom)).toBe(false);
    });

    it('counts a version of another plugin that shares the bytes', async () => {
      const module = bytes('shared by two plugins');
      await submit('ref.two-a', '1.0.0', module);
      await submit('ref.two-b', '1.0.0', module);
      await reject('ref.two-a', '1.0.0');
      expect(await referenced(module)).toBe(true);
    });

    it('lists each digest once, sorted, without nulls', () => {
      expect(distinctDigests(['b', null, 'a', undefined, 'b'])).toEqual(['a', 'b']);
    });
  });

  it('deletes the module and SBOM of a version verification rejects', async () => {
    const module = bytes('rejected module');
    const sbom = bytes('{"rejected":"sbom"}');
    await submit('gc.rejected', '1.0.0', module, sbom);
    expect(await stored(module)).toBe(true);
    await reject('gc.rejected', '1.0.0');
    await expectEventually(async () => {
      expect(await stored(module)).toBe(false);
      expect(await stored(sbom)).toBe(false);
    });
  });

  it('keeps content another version still names, and deletes it once that one is rejected too', async () => {
    const module = bytes('module of a bystander');
    await submit('gc.bystander', '1.0.0', module);
    await submit('gc.same-bytes', '1.0.0', module);
    await reject('gc.same-bytes', '1.0.0');
    expect(await collector.collectRejected('gc.same-bytes', '1.0.0')).toEqual([]);
    expect(await stored(module)).toBe(true);
    await reject('gc.bystander', '1.0.0');
    await expectEventually(async () => expect(await stored(module)).toBe(false));
  });

  it('collects nothing for a version that is not rejected', async () => {
    const module = bytes('module still pending');
    await submit('gc.pending', '1.0.0', module);
    expect(await collector.collectRejected('gc.pending', '1.0.0')).toEqual([]);
    expect(await collector.collect([sha256Hex(module)])).toEqual([]);
    expect(await stored(module)).toBe(true);
  });

  it('gives up the files of a rejected version submitted again with other bytes', async () => {
    const first = bytes('first try');
    const second = bytes('second try');
    await submit('gc.again', '1.0.0', first);
    // Rejected while the collector is held up: the file is still there when the resubmission comes.
    const collect = jest.spyOn(collector, 'collectRejected').mockResolvedValueOnce([]);
    await reject('gc.again', '1.0.0');
    collect.mockRestore();
    expect(await stored(first)).toBe(true);
    await submit('gc.again', '1.0.0', second);
    expect(await stored(first)).toBe(false);
    expect(await stored(second)).toBe(true);
  });

  it('keeps the file when the same bytes are submitted again while the rejected version is collected', async () => {
    const module = bytes('submitted during collection');
    await submit('gc.race-old', '1.0.0', module);
    const collect = jest.spyOn(collector, 'collectRejected').mockResolvedValueOnce([]);
    await reject('gc.race-old', '1.0.0');
    collect.mockRestore();
    // The collector has taken the digest's lock and found no reference when the submission comes:
    // the submission waits, then moves its upload in place; nothing it needs is deleted.
    const digest = sha256Hex(module);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = h.dataSource.transaction(async (m) => {
      await lockArtifacts(m, [digest]);
      expect(await isReferenced(m, digest)).toBe(false);
      await held;
      await h.artifacts.remove(digest);
    });
    let answered = false;
    const resubmitted = submit('gc.race-new', '1.0.0', module).then((reply) => {
      answered = true;
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    release();
    await holder;
    await resubmitted;
    expect(await stored(module)).toBe(true);
    expect((await state('gc.race-new', '1.0.0')).status).toBe('submitted');
    // And the other way round: a collection that comes after the submission sees it.
    expect(await collector.collect([digest])).toEqual([]);
    expect(await stored(module)).toBe(true);
  });

  it('sweeps the files that only rejected versions name, as at start', async () => {
    const leftover = bytes('left over by a registry that stopped');
    const shared = bytes('left over, but shared');
    await submit('gc.sweep-a', '1.0.0', leftover);
    await submit('gc.sweep-b', '1.0.0', shared);
    await submit('gc.sweep-c', '1.0.0', shared);
    const collect = jest.spyOn(collector, 'collectRejected').mockResolvedValue([]);
    await reject('gc.sweep-a', '1.0.0');
    await reject('gc.sweep-b', '1.0.0');
    collect.mockRestore();
    expect(await stored(leftover)).toBe(true);
    expect(await collector.sweep()).toContain(sha256Hex(leftover));
    expect(await stored(leftover)).toBe(false);
    expect(await stored(shared)).toBe(true);
    expect(await collector.sweep()).toEqual([]);
  });
});
