import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { ReplyMux } from './reply-mux.js';
import { TurnBatch } from './turn-batch.js';

/** Resolves after `n` turns of the event loop. */
const turns = (n: number) =>
  Array.from({ length: n }).reduce<Promise<void>>(
    (p) => p.then(() => new Promise((resolve) => setImmediate(resolve))),
    Promise.resolve(),
  );

describe('TurnBatch', () => {
  it('runs the tasks queued in one turn together, in order, after that turn', async () => {
    const batch = new TurnBatch();
    const ran: string[] = [];
    // Queued from separate callbacks of one check phase, as requests read from separate sockets are.
    for (const name of ['a', 'b', 'c']) setImmediate(() => batch.run(() => ran.push(name)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([]);
    await turns(1);
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('runs a task queued while the batch runs in the next turn', async () => {
    const batch = new TurnBatch();
    const ran: string[] = [];
    batch.run(() => {
      ran.push('first');
      batch.run(() => ran.push('second'));
    });
    await turns(1);
    expect(ran).toEqual(['first']);
    await turns(1);
    expect(ran).toEqual(['first', 'second']);
  });
});

describe('ReplyMux publishing', () => {
  /**
   * A connection that, as nats.js does, flushes what was published once per microtask
   * checkpoint: `writes` counts the socket writes the publishes would take.
   */
  function fakeConnection() {
    const published: string[] = [];
    let writes = 0;
    let flushQueued = false;
    const nc = {
      subscribe: () => ({}),
      closed: () => new Promise(() => undefined),
      publish: (subject: string) => {
        published.push(subject);
        if (flushQueued) return;
        flushQueued = true;
        queueMicrotask(() => {
          flushQueued = false;
          writes++;
        });
      },
    } as unknown as NatsConnection;
    return { nc, published, writes: () => writes };
  }

  it('sends the requests made in separate callbacks of one turn in one write', async () => {
    const { nc, published, writes } = fakeConnection();
    const mux = new ReplyMux(nc, '_INBOX_test');
    const requests: Promise<Msg>[] = [];
    for (let i = 0; i < 20; i++)
      setImmediate(() => requests.push(mux.request(`s.${i}`, '{}', 1000)));
    await turns(2);
    expect(published).toEqual(Array.from({ length: 20 }, (_, i) => `s.${i}`));
    expect(writes()).toBe(1);
    await Promise.allSettled(requests);
  });

  it('fails a request whose publish throws, and still sends the others of its turn', async () => {
    const { nc, published } = fakeConnection();
    const publish = nc.publish.bind(nc);
    nc.publish = (subject: string) => {
      if (subject === 'bad') throw new Error('bad subject');
      publish(subject);
    };
    const mux = new ReplyMux(nc, '_INBOX_test');
    const bad = mux.request('bad', '{}', 10_000);
    const good = mux.request('good', '{}', 1000);
    await expect(bad).rejects.toThrow('bad subject');
    expect(published).toEqual(['good']);
    await expect(good).rejects.toThrow(/TIMEOUT/i);
  });
});
