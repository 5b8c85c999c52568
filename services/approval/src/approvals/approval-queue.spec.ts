import {
  encodePageCursor,
  EventSubjects,
  RequestSubjects,
  type ApprovalItem,
  type Permissions,
} from '@convergio/contracts';
import { BusLimits } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, expectEventually } from '@convergio/testing';
import { approvalPersistence, ApprovalModule } from '../index.js';

/** 64 net.http rules of a 247-character host and a 1000-character path: about 83 KB. */
const bigHttp = (tag: string): Permissions => ({
  'net.http': {
    rules: Array.from({ length: 64 }, (_, i) => ({
      host: `${tag}-${i}.${'h'.repeat(60)}.${'o'.repeat(60)}.${'s'.repeat(60)}.example`.slice(-247),
      methods: ['GET' as const, 'POST' as const],
      path_prefix: `/${'p'.repeat(1000)}`,
    })),
  },
});
const smallHttp: Permissions = {
  'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] },
};

describe('approval queue pages', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...approvalPersistence,
      feature: ApprovalModule.register({ allowSelfApproval: false }),
    });
  });
  afterAll(() => h?.close());

  /** A verified high-risk version: it waits in the queue. */
  async function pendingVersion(id: string, version: string, permissions: Permissions) {
    await h.bus.publish(EventSubjects.PluginVerified, {
      plugin_id: id,
      version,
      manifest: aManifest({ id, version, permissions, signing: { sha256: 'a'.repeat(64) } }),
      module_sha256: 'a'.repeat(64),
      trust: 'untrusted',
      high_risk_permissions: ['net.http'],
      findings: [],
      submitted_by: 'publisher-key',
      publisher: 'acme',
    });
  }
  const page = (q: { cursor?: string; limit?: number }) =>
    h.bus.request(RequestSubjects.ApprovalListQueue, { status: 'pending', limit: 500, ...q });
  /** Every page from the first, in order. */
  async function allPages(limit = 500) {
    const pages: { items: ApprovalItem[]; next_cursor: string | null }[] = [];
    let cursor: string | undefined;
    do {
      const p = await page({ cursor, limit });
      pages.push(p);
      cursor = p.next_cursor ?? undefined;
    } while (cursor !== undefined && pages.length < 100);
    return pages;
  }
  const keys = (items: ApprovalItem[]) => items.map((i) => `${i.plugin_id}@${i.version}`);

  it('pages the queue by `limit`, oldest request first, each version once', async () => {
    for (let i = 0; i < 5; i++) await pendingVersion('q.small', `1.${i}.0`, smallHttp);
    await expectEventually(async () =>
      expect((await page({})).items.filter((i) => i.plugin_id === 'q.small')).toHaveLength(5),
    );
    const whole = (await page({})).items;
    expect((await page({})).next_cursor).toBeNull();
    const pages = await allPages(2);
    expect(pages.map((p) => p.items.length)).toEqual(
      Array.from({ length: Math.ceil(whole.length / 2) }, (_, i) =>
        Math.min(2, whole.length - 2 * i),
      ),
    );
    expect(keys(pages.flatMap((p) => p.items))).toEqual(keys(whole));
    expect(pages[pages.length - 1].next_cursor).toBeNull();
    // Requested in order: the queue is oldest first.
    const times = whole.map((i) => i.requested_at);
    expect([...times].sort()).toEqual(times);
  });

  it('cuts pages by bytes so each fits one bus message, and pages on past 1 MiB', async () => {
    // Fourteen versions of 83 KB manifests: about 1.2 MB in all, over one message.
    for (let i = 0; i < 14; i++) await pendingVersion('q.big', `2.${i}.0`, bigHttp(`v${i}`));
    const big = (items: ApprovalItem[]) => items.filter((i) => i.plugin_id === 'q.big');
    await expectEventually(async () =>
      expect(big((await allPages()).flatMap((p) => p.items))).toHaveLength(14),
    );
    const budget = h.app.get(BusLimits).replyBudget;
    const pages = await allPages();
    expect(pages.length).toBeGreaterThan(1);
    for (const p of pages) {
      expect(Buffer.byteLength(JSON.stringify(p.items))).toBeLessThanOrEqual(budget);
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThan(h.app.get(BusLimits).maxPayload);
    }
    const seen = keys(pages.flatMap((p) => p.items));
    expect(new Set(seen).size).toBe(seen.length);
    expect(
      big(pages.flatMap((p) => p.items))
        .map((i) => i.version)
        .sort(),
    ).toEqual(Array.from({ length: 14 }, (_, i) => `2.${i}.0`).sort());
  });

  it('refuses a cursor it did not hand out with validation_failed naming cursor', async () => {
    for (const cursor of [
      'bm90LWEtY3Vyc29y',
      encodePageCursor('plugins', ['q.small']),
      encodePageCursor('approvals', ['soon', 'q.small', '1.0.0']),
      encodePageCursor('approvals', ['1', 'q.small']),
    ])
      await expect(page({ cursor })).rejects.toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
      });
  });
});
