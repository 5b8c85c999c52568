import { createHash } from 'node:crypto';
import { createEnvelope, eventIdKey } from './envelope-factory.js';
import { detachedContext, messageContext } from './message-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const data = { plugin_id: 'a.b', version: '1.0.0' };
const key = eventIdKey('approval', 'approval-nats-password');

/** The ids a handler of delivery `delivery` would give the envelopes it builds, in order. */
function idsBuiltWhileHandling(delivery: string, types: string[], source = 'approval'): string[] {
  const ctx = messageContext('corr-1', undefined, { delivery, key });
  return types.map((t) => createEnvelope(t, data, source, ctx).id);
}

describe('createEnvelope', () => {
  it('gives a redelivered event the same ids again, so the bus can drop the repeats', () => {
    const types = ['plugin.approved', 'plugin.approved', 'plugin.rejected'];
    const first = idsBuiltWhileHandling('EVENTS:7', types);
    expect(idsBuiltWhileHandling('EVENTS:7', types)).toEqual(first);
    expect(new Set(first).size).toBe(3);
    for (const id of first) expect(id).toMatch(UUID);
  });

  it('gives different deliveries, types or sources different ids', () => {
    const [a] = idsBuiltWhileHandling('EVENTS:7', ['plugin.approved']);
    const [b] = idsBuiltWhileHandling('EVENTS:8', ['plugin.approved']);
    const [c] = idsBuiltWhileHandling('EVENTS:7', ['plugin.rejected']);
    const [d] = idsBuiltWhileHandling('EVENTS:7', ['plugin.approved'], 'registry');
    expect(new Set([a, b, c, d]).size).toBe(4);
  });

  it('derives ids nobody without the key can compute: not the unkeyed hash, not another key', () => {
    const [id] = idsBuiltWhileHandling('EVENTS:7', ['plugin.approved']);
    const unkeyed = createHash('sha256').update('EVENTS:7\nplugin.approved\n0').digest('hex');
    expect(id.replaceAll('-', '').slice(0, 8)).not.toBe(unkeyed.slice(0, 8));
    const otherKey = createEnvelope(
      'plugin.approved',
      data,
      'approval',
      messageContext('corr-1', undefined, {
        delivery: 'EVENTS:7',
        key: eventIdKey('approval', 'another password'),
      }),
    ).id;
    expect(otherKey).not.toBe(id);
    expect(eventIdKey('approval', undefined)).not.toEqual(key);
    expect(eventIdKey('approval', 'x')).not.toEqual(eventIdKey('registry', 'x'));
  });

  it('gives random ids while answering a request: the requester chooses the request id', () => {
    const answer = () =>
      createEnvelope('plugin.submitted', data, 'registry', messageContext('corr-1'));
    const [a, b] = [answer(), answer()];
    expect(a.id).toMatch(UUID);
    expect(a.id).not.toBe(b.id);
    expect(a.correlation_id).toBe('corr-1');
  });

  it('gives work a handler leaves running its correlation id, with random ids', () => {
    const handling = messageContext('corr-1', undefined, { delivery: 'EVENTS:7', key });
    const left = () => createEnvelope('plugin.loaded', data, 'executor', detachedContext(handling));
    const [a, b] = [left(), left()];
    expect(a.correlation_id).toBe('corr-1');
    expect(a.id).toMatch(UUID);
    expect(a.id).not.toBe(b.id);
    // The handler's own envelopes keep their derived ids and ranks.
    expect(createEnvelope('plugin.approved', data, 'approval', handling).id).toBe(
      idsBuiltWhileHandling('EVENTS:7', ['plugin.approved'])[0],
    );
  });

  it('carries the correlation id of the message being handled, each its own', () => {
    const [carried, other] = [
      createEnvelope('plugin.approved', data, 'approval', messageContext('corr-1')),
      createEnvelope('plugin.approved', data, 'approval', messageContext('corr-2')),
    ];
    expect(carried).toMatchObject({
      correlation_id: 'corr-1',
      type: 'plugin.approved',
      version: 1,
      source: 'approval',
      data,
    });
    expect(other.correlation_id).toBe('corr-2');
  });

  it('gives random ids outside a handler, each its own correlation id', () => {
    const a = createEnvelope('plugin.approved', data, 'gateway');
    const b = createEnvelope('plugin.approved', data, 'gateway');
    expect(a.id).toMatch(UUID);
    expect(a.id).not.toBe(b.id);
    expect(a.correlation_id).toBe(a.id);
    expect(Date.parse(a.occurred_at)).not.toBeNaN();
  });
});
