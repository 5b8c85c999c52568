import { EventBatch, MAX_BATCHED_EVENTS, parseEvents } from './event-batch.js';
import type { EmittedEvent } from './worker-protocol.js';

function batches() {
  const sent: string[] = [];
  return { batch: new EventBatch((json) => sent.push(json)), sent };
}

describe('EventBatch', () => {
  it('carries log lines and telemetry events across in the order emitted, lone surrogates too', () => {
    const { batch, sent } = batches();
    const events: Exclude<EmittedEvent, { kind: 'telemetry_dropped' }>[] = [
      { kind: 'log', payload: { level: 'info', message: 'a \ud800 \u0000' } },
      { kind: 'telemetry', payload: { name: 'job.done', value: 2 } },
      { kind: 'log', payload: { level: 'warn', message: 'b' } },
    ];
    for (const { kind, payload } of events) batch.add(kind, payload);
    expect(sent).toEqual([]);
    batch.flush();
    batch.flush(); // nothing held: nothing sent
    expect(sent.map(parseEvents)).toEqual([events]);
  });

  it('carries a log line of a level and a message as its two strings, the order kept', () => {
    const { batch, sent } = batches();
    batch.addLogLine('debug', 'tick \ud800');
    batch.add('log', { level: 'warn', message: 'x', truncated: true });
    batch.addLogLine('error', '');
    batch.flush();
    expect(JSON.parse(sent[0])).toEqual([
      'LlL',
      ['debug', 'tick \ud800', { level: 'warn', message: 'x', truncated: true }, 'error', ''],
    ]);
    expect(parseEvents(sent[0])).toEqual([
      { kind: 'log', payload: { level: 'debug', message: 'tick \ud800' } },
      { kind: 'log', payload: { level: 'warn', message: 'x', truncated: true } },
      { kind: 'log', payload: { level: 'error', message: '' } },
    ]);
  });

  it('sends a full batch at once, without waiting for a flush', () => {
    const { batch, sent } = batches();
    for (let i = 0; i <= MAX_BATCHED_EVENTS; i++)
      if (i % 2) batch.add('log', i);
      else batch.addLogLine('info', String(i));
    expect(sent.map((json) => parseEvents(json).length)).toEqual([MAX_BATCHED_EVENTS]);
    batch.flush();
    expect(parseEvents(sent[1])).toEqual([
      { kind: 'log', payload: { level: 'info', message: String(MAX_BATCHED_EVENTS) } },
    ]);
  });

  it('carries the telemetry events dropped as one count, sent even when nothing else is held', () => {
    const { batch, sent } = batches();
    batch.add('telemetry', { name: 'kept' });
    for (let i = 0; i < 10_000; i++) batch.countDroppedTelemetry();
    batch.flush();
    batch.countDroppedTelemetry();
    batch.flush();
    batch.flush(); // nothing dropped since: nothing sent
    expect(sent.map(parseEvents)).toEqual([
      [
        { kind: 'telemetry', payload: { name: 'kept' } },
        { kind: 'telemetry_dropped', payload: 10_000 },
      ],
      [{ kind: 'telemetry_dropped', payload: 1 }],
    ]);
    expect(sent[0].length).toBeLessThan(100);
  });

  it('sends a payload with no JSON form as a note in its place, the others unchanged', () => {
    const { batch, sent } = batches();
    batch.add('telemetry', { big: 1n });
    batch.add('log', { message: 'kept' });
    batch.flush();
    expect(parseEvents(sent[0])).toEqual([
      {
        kind: 'telemetry',
        payload: { unusable: expect.stringMatching(/^the payload has no JSON form: /) },
      },
      { kind: 'log', payload: { message: 'kept' } },
    ]);
  });

  it.each([
    ['not JSON', '[{'],
    ['the old form', '[{"kind":"log","payload":{}}]'],
    ['a kind per payload missing', '["l",[1,2]]'],
    ['a payload per kind missing', '["ll",[1]]'],
    ['a log line missing its message', '["L",["info"]]'],
    ['a log line that is not two strings', '["L",["info",{}]]'],
    ['an unknown kind', '["x",[1]]'],
    ['kinds not a string', '[[1],[1]]'],
    ['a dropped count that is not a number', '["d",["9"]]'],
    ['a dropped count of zero', '["d",[0]]'],
    ['a negative dropped count', '["d",[-5]]'],
    ['a fractional dropped count', '["d",[1.5]]'],
    ['a dropped count past the safe integers', '["d",[1e300]]'],
    ['a dropped count missing', '["d",[]]'],
  ])('refuses a batch that is %s (its worker is broken)', (_case, json) => {
    expect(() => parseEvents(json)).toThrow(SyntaxError);
  });
});
