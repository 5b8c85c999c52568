import { randomUUID } from 'node:crypto';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestMap,
} from '@convergio/contracts';
import { BusLimits } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { bytesReadBy } from '../bytes-read.spec-helper.js';
import { AuditWriter } from '../events/audit-writer.js';
import { auditPersistence, AuditModule } from '../index.js';
import { encodeAuditCursor } from './audit-cursor.js';

const ADMIN = randomUUID();
const OTHER = randomUUID();

/** An envelope as the writer takes it; `actor` is not in every payload schema yet. */
const anEvent = (e: Omit<EventEnvelope, 'data'> & { data: Record<string, unknown> }) =>
  e as EventEnvelope;

describe('audit query', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({ ...auditPersistence, feature: AuditModule });
    // Six revocations an hour apart, alternately by two keys (`actor`, the convention of every
    // event a person causes), handed to the writer as the handler would.
    for (let i = 0; i < 6; i++)
      await revoked('a.query', i, {
        revoked_by: i % 2 ? OTHER : ADMIN,
        actor: i % 2 ? OTHER : ADMIN,
      });
  });
  afterAll(() => h?.close());

  /** A plugin.revoked of version 1.0.`i`, at `i` o'clock, handed to the writer as the handler would. */
  const revoked = (pluginId: string, i: number, data: Record<string, string>) =>
    h.app.get(AuditWriter).append(
      anEvent({
        id: randomUUID(),
        type: EventSubjects.PluginRevoked,
        version: 1,
        occurred_at: `2026-11-30T0${i}:00:00.000Z`,
        source: 'approval',
        correlation_id: randomUUID(),
        data: { plugin_id: pluginId, version: `1.0.${i}`, revoked_by: ADMIN, ...data },
      }),
    );

  const query = (q: Partial<RequestMap['audit.query']>) =>
    h.bus.request(RequestSubjects.AuditQuery, { plugin_id: 'a.query', limit: 100, ...q });
  const versions = async (q: Partial<RequestMap['audit.query']>) =>
    (await query(q)).events.map((e) => e.version);
  /** Every page of `q`, following next_cursor until it is null. */
  async function pages(q: Partial<RequestMap['audit.query']>) {
    const all: Awaited<ReturnType<typeof query>>[] = [];
    let cursor: string | undefined;
    do {
      const page = await query({ ...q, ...(cursor ? { cursor } : {}) });
      all.push(page);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return all;
  }

  it('filters by actor (data.actor) and by time range, from inclusive, to exclusive', async () => {
    expect(await versions({ actor: ADMIN })).toEqual(['1.0.0', '1.0.2', '1.0.4']);
    expect(
      await versions({ from: '2026-11-30T01:00:00Z', to: '2026-11-30T04:00:00+00:00' }),
    ).toEqual(['1.0.1', '1.0.2', '1.0.3']);
    expect(await versions({ actor: OTHER, from: '2026-11-30T02:00:00Z' })).toEqual([
      '1.0.3',
      '1.0.5',
    ]);
    expect(await versions({ actor: randomUUID() })).toEqual([]);
  });

  it('pages with an opaque cursor until next_cursor is null', async () => {
    const seen = (await pages({ limit: 4 })).flatMap((p) => p.events.map((e) => e.version));
    expect(seen).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5']);
  });

  it('cuts a page by bytes before the bus max_payload, with a cursor through every event', async () => {
    // Events as large as a version's events with a 240 KB manifest: three fit one message.
    for (let i = 0; i < 7; i++) await revoked('a.large', i, { note: 'x'.repeat(300_000) });
    const budget = h.app.get(BusLimits).replyBudget;
    const all = await pages({ plugin_id: 'a.large' });
    for (const page of all) {
      expect(Buffer.byteLength(JSON.stringify(page.events))).toBeLessThanOrEqual(budget + 1);
      if (page.next_cursor !== null)
        expect(page.next_after_seq).toBe(page.events[page.events.length - 1].seq);
    }
    const sizes = all.map((p) => p.events.length);
    const seen = all.flatMap((p) => p.events.map((e) => e.version));
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4', '1.0.5', '1.0.6']);
    // A limit below what fits still bounds the page.
    expect((await query({ plugin_id: 'a.large', limit: 2 })).events).toHaveLength(2);
  });

  it('reads from the database only the events of the page, however many are asked for', async () => {
    // Eight events of 300 KB: 2.4 MB would match a page of 500; about 0.9 MB fits one message.
    for (let i = 0; i < 8; i++) await revoked('a.heavy', i, { note: 'y'.repeat(300_000) });
    const budget = h.app.get(BusLimits).replyBudget;
    const { total: bytesRead } = await bytesReadBy(h.dataSource, async () => {
      const page = await query({ plugin_id: 'a.heavy', limit: 500 });
      expect(page.events.map((e) => e.version)).toEqual(['1.0.0', '1.0.1', '1.0.2']);
    });
    expect(bytesRead).toBeLessThanOrEqual(budget);
  });

  it.each([
    ['a cursor it never handed out', { cursor: 'bm90LWEtY3Vyc29y' }, 'invalid_cursor', '/cursor'],
    [
      'a cursor with a sign',
      { cursor: Buffer.from('a1.-1').toString('base64url') },
      'invalid_cursor',
      '/cursor',
    ],
    [
      'a cursor beyond 2^53',
      { cursor: Buffer.from('a1.9007199254740993').toString('base64url') },
      'invalid_cursor',
      '/cursor',
    ],
    [
      'a cursor and after_seq',
      { cursor: encodeAuditCursor(1), after_seq: 1 },
      'conflicting_position',
      '/cursor',
    ],
    [
      'a range ending before it starts',
      { from: '2026-11-30T04:00:00Z', to: '2026-11-30T01:00:00Z' },
      'invalid_range',
      '/from',
    ],
    [
      'an empty range',
      { from: '2026-11-30T04:00:00Z', to: '2026-11-30T04:00:00Z' },
      'invalid_range',
      '/from',
    ],
    ['a year PostgreSQL has not', { from: '0000-01-01T00:00:00Z' }, 'invalid_time', '/from'],
    ['a leap second', { from: '2016-12-31T23:59:60Z' }, 'invalid_time', '/from'],
  ])('refuses %s with a coded error', async (_what, q, code, path) => {
    await expect(query(q)).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ code, path })],
    });
  });

  it('says why a leap second is no time it can look for', async () => {
    await expect(query({ from: '2016-12-31T23:59:60Z' })).rejects.toMatchObject({
      details: [
        expect.objectContaining({ message: expect.stringContaining('without a leap second') }),
      ],
    });
  });

  it('refuses filters its schema does not allow before any query runs', async () => {
    for (const q of [{ from: 'yesterday' }, { actor: '' }, { cursor: 'a/b' }])
      await expect(query(q)).rejects.toMatchObject({ code: 'validation_failed' });
  });
});
