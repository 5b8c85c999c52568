import { createEnvelope } from './envelope-factory.js';
import { runInMessageContext } from './message-context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const data = { plugin_id: 'a.b', version: '1.0.0' };

/** The ids a handler of message `messageId` would give the envelopes it builds, in order. */
function idsBuiltWhileHandling(messageId: string, types: string[]): string[] {
  return runInMessageContext(messageId, 'corr-1', () =>
    types.map((t) => createEnvelope(t, data, 'approval').id),
  );
}

describe('createEnvelope', () => {
  it('gives a redelivered message the same ids again, so the bus can drop the repeats', () => {
    const first = idsBuiltWhileHandling('msg-1', [
      'plugin.approved',
      'plugin.approved',
      'plugin.rejected',
    ]);
    const again = idsBuiltWhileHandling('msg-1', [
      'plugin.approved',
      'plugin.approved',
      'plugin.rejected',
    ]);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(3);
    for (const id of first) expect(id).toMatch(UUID);
  });

  it('gives different messages, or different types, different ids', () => {
    const [a] = idsBuiltWhileHandling('msg-1', ['plugin.approved']);
    const [b] = idsBuiltWhileHandling('msg-2', ['plugin.approved']);
    const [c] = idsBuiltWhileHandling('msg-1', ['plugin.rejected']);
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('carries the correlation id of the message being handled, unless one is given', () => {
    const [carried, given] = runInMessageContext('msg-1', 'corr-1', () => [
      createEnvelope('plugin.approved', data, 'approval'),
      createEnvelope('plugin.approved', data, 'approval', 'corr-2'),
    ]);
    expect(carried).toMatchObject({
      correlation_id: 'corr-1',
      type: 'plugin.approved',
      version: 1,
      source: 'approval',
      data,
    });
    expect(given?.correlation_id).toBe('corr-2');
  });

  it('keeps the derived ids inside an async handler', async () => {
    const build = () =>
      runInMessageContext('msg-1', 'corr-1', async () => {
        await Promise.resolve();
        return createEnvelope('plugin.approved', data, 'approval').id;
      });
    expect(await build()).toBe(await build());
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
