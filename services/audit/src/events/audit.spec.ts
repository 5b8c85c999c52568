import { randomUUID } from 'node:crypto';
import {
  EventSubjects,
  RequestSubjects,
  unescapeAuditText,
  type EventSubject,
} from '@convergio/contracts';
import { BusServer, messageContext } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { expectEventually } from '@convergio/testing';
import { auditPersistence, AuditModule } from '../index.js';

describe('audit service', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({ ...auditPersistence, feature: AuditModule });
  });
  afterAll(() => h?.close());

  const query = (
    q: Partial<{ plugin_id: string; type: EventSubject; after_seq: number }> & { limit: number },
  ) => h.bus.request(RequestSubjects.AuditQuery, q);

  it('records every kind of event, with its plugin and correlation', async () => {
    await h.bus.publish(
      EventSubjects.PermissionDenied,
      {
        plugin_id: 'a.one',
        version: '1.0.0',
        capability: 'fs.read',
        target: '/etc/passwd',
        reason: 'outside allowlist',
      },
      messageContext('corr-7'),
    );
    await h.bus.publish(EventSubjects.PluginCrashed, {
      plugin_id: 'a.one',
      version: '1.0.0',
      function: 'run',
      reason: 'timeout',
      message: 'slow',
      resources: { wall_ms: 5000 },
    });
    const events = await expectEventually(async () => {
      const { events } = await query({ plugin_id: 'a.one', limit: 10 });
      expect(events).toHaveLength(2);
      return events;
    });
    // Each subject has its own consumer, so events of different subjects may be recorded in either order.
    expect(events.find((e) => e.type === 'permission.denied')).toMatchObject({
      source: 'executor',
      plugin_id: 'a.one',
      version: '1.0.0',
      correlation_id: 'corr-7',
      data: { target: '/etc/passwd' },
    });
    expect(events.find((e) => e.type === 'plugin.crashed')).toMatchObject({
      data: { reason: 'timeout' },
    });
    expect(events[1].seq).toBeGreaterThan(events[0].seq);
  });

  it('keeps a redelivered event once', async () => {
    const id = await h.bus.publish(EventSubjects.PluginLoaded, {
      plugin_id: 'a.twice',
      version: '1.0.0',
      module_sha256: 'b'.repeat(64),
      instance: 'x',
      load_ms: 1,
      cached: false,
    });
    await expectEventually(async () =>
      expect((await query({ plugin_id: 'a.twice', limit: 10 })).events).toHaveLength(1),
    );
    expect(await h.redeliver(id)).toEqual({ kind: 'done' });
    expect((await query({ plugin_id: 'a.twice', limit: 10 })).events).toHaveLength(1);
  });

  it('filters by type and pages with after_seq', async () => {
    for (const v of ['1', '2', '3'])
      await h.bus.publish(EventSubjects.PluginRevoked, {
        plugin_id: 'a.page',
        version: v,
        revoked_by: 'k',
      });
    await expectEventually(async () =>
      expect((await query({ plugin_id: 'a.page', limit: 10 })).events).toHaveLength(3),
    );
    const first = await query({ plugin_id: 'a.page', type: 'plugin.revoked', limit: 2 });
    expect(first.events.map((e) => e.version)).toEqual(['1', '2']);
    expect(first.next_after_seq).toBe(first.events[1].seq);
    const second = await query({
      plugin_id: 'a.page',
      type: 'plugin.revoked',
      limit: 2,
      after_seq: first.next_after_seq!,
    });
    expect(second.events.map((e) => e.version)).toEqual(['3']);
    expect(second.next_after_seq).toBeNull();
  });

  it('records what PostgreSQL cannot hold (lone surrogates, NUL, controls) escaped, loss-free', async () => {
    const target = '/etc/\ud800\u0000\\x\u001b[31m\udc00😀';
    const id = await h.bus.publish(EventSubjects.PermissionDenied, {
      plugin_id: 'a.erase',
      version: '1.0.0',
      capability: 'fs.read',
      target,
      reason: 'outside allowlist\u0000',
    });
    // Handled once already by the hub; the outcome of a second delivery says whether it stored.
    expect(await h.redeliver(id)).toEqual({ kind: 'done' });
    const [event] = (await query({ plugin_id: 'a.erase', limit: 10 })).events;
    expect(event.data).toMatchObject({
      target: '/etc/\\ud800\\u0000\\\\x\\u001b[31m\\udc00😀',
      reason: 'outside allowlist\\u0000',
    });
    expect(unescapeAuditText(event.data.target as string)).toBe(target);
  });

  it('escapes keys too, and the text columns', async () => {
    const id = await h.bus.publish(
      EventSubjects.PluginSubmitted,
      {
        plugin_id: 'a.keys',
        version: '1.0.0',
        manifest: { ['na\u0000me']: ['\udfff'] },
        module_sha256: 'c'.repeat(64),
        module_size: 1,
        submitted_by: 'k',
      },
      messageContext('corr\ud800'),
    );
    expect(await h.redeliver(id)).toEqual({ kind: 'done' });
    const [event] = (await query({ plugin_id: 'a.keys', limit: 10 })).events;
    expect(event.data.manifest).toEqual({ 'na\\u0000me': ['\\udfff'] });
    expect(event.correlation_id).toBe('corr\\ud800');
  });

  it('stores an event the database still refuses as an unstorable record, never dropping it', async () => {
    const data = {
      plugin_id: 'a.refused',
      version: '1.0.0',
      capability: 'fs.read',
      target: '/etc/\ud800',
      reason: 'outside allowlist',
    };
    // PostgreSQL has no year 0: the insert fails with a data exception however often it is retried.
    const envelope = {
      id: randomUUID(),
      type: EventSubjects.PermissionDenied,
      version: 1,
      occurred_at: '0000-01-01T00:00:00Z',
      source: 'executor',
      correlation_id: 'c-refused',
      data,
    };
    expect(
      await h.app.get(BusServer).dispatchEvent(EventSubjects.PermissionDenied, envelope),
    ).toEqual({ kind: 'done' });
    const [event] = (await query({ plugin_id: 'a.refused', limit: 10 })).events;
    const unstorable = event.data.unstorable as Record<string, string>;
    expect(unstorable).toMatchObject({ occurred_at: '0000-01-01T00:00:00Z' });
    expect(unstorable.error).toMatch(/out of range/);
    expect(JSON.parse(Buffer.from(unstorable.data_json_base64, 'base64').toString())).toEqual(data);
  });
});
