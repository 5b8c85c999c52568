import type { OperatorPolicy } from '@convergio/sandbox';
import { fakeHost } from '../fs/fake-host-environment.spec-helper.js';
import { bindHostFunctions } from '../dispatch.js';
import type { RateLimiter } from './index.js';

const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

function setup(
  options: {
    granted?: boolean;
    released?: string[];
    policy?: Partial<OperatorPolicy>;
    id?: string;
  } = {},
) {
  let now = 0;
  const limiter = (): RateLimiter => ({ buckets: new Map(), now: () => now });
  const limiters = { log: limiter(), telemetry: limiter() };
  const bind = (id?: string) => {
    const host = fakeHost({
      grants: options.granted === false ? {} : { 'telemetry.emit': {} },
      released: options.released,
      policy: options.policy,
      id,
    });
    return { host, fns: bindHostFunctions(host.env, limiters) };
  };
  return {
    ...bind(options.id),
    /** Another plugin, counted by the same limiters. */
    bystander: () => bind('bystander.b'),
    advance: (ms: number) => (now += ms),
  };
}

describe('telemetry_emit', () => {
  it('emits the event (the runtime names the plugin that emitted it)', () => {
    const { host, fns } = setup();
    expect(
      fns.telemetry_emit({ name: 'job.done', value: 2, attributes: { ok: true, kind: 'sync' } }),
    ).toEqual({ ok: true });
    expect(host.emitted).toEqual([
      {
        kind: 'telemetry',
        payload: {
          name: 'job.done',
          value: 2,
          attributes: { ok: true, kind: 'sync' },
        },
      },
    ]);
  });

  it('redacts secrets, including one released to this call', () => {
    const { host, fns } = setup({ released: ['correct-horse-battery'] });
    fns.telemetry_emit({
      name: 'auth.used',
      value: `token ${JWT}`,
      attributes: {
        header: 'Bearer abcdefghijklmnop',
        key: 'ghp_0123456789abcdefghijklmnopqrstuvwxyz',
        echo: 'x correct-horse-battery y',
        aws: 'AKIAIOSFODNN7EXAMPLE',
        fine: 'ok',
      },
    });
    expect(host.emitted[0].payload).toMatchObject({
      value: '[REDACTED]',
      attributes: {
        header: '[REDACTED]',
        key: '[REDACTED]',
        echo: '[REDACTED]',
        aws: '[REDACTED]',
        fine: 'ok',
      },
    });
  });

  describe('attacks', () => {
    it("drops an instance's flood in the sandbox: a second's worth and the burst leave it, the rest only counted", () => {
      const RATE = 100;
      const FLOOD = 100 * RATE;
      const { host, fns, advance, bystander } = setup({
        policy: { telemetryEventsPerSecond: RATE },
      });
      const answers = new Set<string>();
      for (let i = 0; i < FLOOD; i++) {
        answers.add(JSON.stringify(fns.telemetry_emit({ name: 'flood', value: i })));
        advance(1000 / FLOOD); // the flood spans one second
      }
      // What the plugin sees is unchanged: every event is answered {ok: true}.
      expect([...answers]).toEqual([JSON.stringify({ ok: true })]);
      const sent = host.emitted.filter((e) => e.kind === 'telemetry').length;
      expect(sent).toBeGreaterThanOrEqual(2 * RATE - 1);
      expect(sent).toBeLessThanOrEqual(2 * RATE + 1);
      expect(host.droppedTelemetry).toBe(FLOOD - sent);
      expect(host.denials).toEqual([]);

      const other = bystander();
      expect(other.fns.telemetry_emit({ name: 'quiet' })).toEqual({ ok: true });
      expect(other.host.emitted).toEqual([
        { kind: 'telemetry', payload: { name: 'quiet', attributes: {} } },
      ]);
      advance(1000);
      expect(fns.telemetry_emit({ name: 'after' })).toEqual({ ok: true });
      expect(host.emitted.at(-1)).toEqual({
        kind: 'telemetry',
        payload: { name: 'after', attributes: {} },
      });
    });

    it('still refuses a malformed event past the rate, as under it', () => {
      const { host, fns } = setup({ policy: { telemetryEventsPerSecond: 1 } });
      fns.telemetry_emit({ name: 'first' });
      expect(fns.telemetry_emit({ name: 'Bad Name' })).toMatchObject({
        error: { code: 'permission_denied' },
      });
      expect(host.denials).toHaveLength(1);
      expect(host.droppedTelemetry).toBe(0);
    });

    it('without telemetry.emit nothing is emitted', () => {
      const { host, fns } = setup({ granted: false });
      expect(fns.telemetry_emit({ name: 'x' })).toMatchObject({
        error: { code: 'permission_denied', capability: 'telemetry.emit', target: 'x' },
      });
      expect(host.denials).toEqual([
        { capability: 'telemetry.emit', target: 'x', reason: 'telemetry.emit is not granted' },
      ]);
      expect(host.emitted).toEqual([]);
    });

    it.each([
      ['Upper', 'name'],
      ['has space', 'name'],
      ['x'.repeat(65), 'name'],
      ['evil\nforged', 'name'],
      ['__proto__', 'name'],
    ])('a bad name %j is refused', (name, reason) => {
      const { host, fns } = setup();
      expect(fns.telemetry_emit({ name })).toMatchObject({ error: { code: 'permission_denied' } });
      expect(host.denials).toEqual([
        {
          capability: 'telemetry.emit',
          target: expect.any(String),
          reason: expect.stringContaining(reason),
        },
      ]);
      expect(host.emitted).toEqual([]);
    });

    it.each([
      [
        {
          name: 'ok',
          attributes: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 1])),
        },
        'more than 16',
      ],
      [{ name: 'ok', attributes: { k: 'x'.repeat(257) } }, 'longer than 256'],
      [{ name: 'ok', attributes: { k: { nested: 1 } } }, 'string, a number'],
      [{ name: 'ok', attributes: { 'Bad Key': 1 } }, 'key'],
      [{ name: 'ok', attributes: { leaked_correct_horse: 1 } }, 'contains a secret'],
      [{ name: 'ok', value: 1.7e308 }, 'at most 1e15'],
      [{ name: 'ok', value: -1.7e308 }, 'at most 1e15'],
    ])('a bad event is refused: %#', (input, reason) => {
      const { host, fns } = setup({ released: ['correct_horse'] });
      expect(fns.telemetry_emit(input)).toMatchObject({ error: { code: 'permission_denied' } });
      expect(host.denials).toEqual([
        { capability: 'telemetry.emit', target: 'ok', reason: expect.stringContaining(reason) },
      ]);
    });
  });
});

describe('log', () => {
  it('is always allowed and emitted', () => {
    const { host, fns } = setup({ granted: false });
    expect(fns.log({ level: 'info', message: 'hello' })).toEqual({ ok: true });
    expect(host.emitted).toEqual([
      {
        kind: 'log',
        payload: {
          level: 'info',
          message: 'hello',
        },
      },
    ]);
  });

  it('reads its input in the usual form without JSON.parse (see decodeLogInput)', () => {
    const { fns } = setup();
    const block = Buffer.from('{"level":"info","message":"hello"}', 'utf8');
    expect(fns.log.decodeInput?.(block)).toEqual({ level: 'info', message: 'hello' });
    expect(fns.fs_read.decodeInput).toBeUndefined();
  });

  it('redacts secrets, including a released one', () => {
    const { host, fns } = setup({ released: ['s3cr3t-value'] });
    fns.log({
      level: 'warn',
      message:
        'got s3cr3t-value and password=hunter2 and -----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----',
    });
    expect(host.emitted[0].payload).toMatchObject({
      message: 'got [REDACTED] and password=[REDACTED] and [REDACTED]',
    });
  });

  it('rate-limits a flood per plugin and reports the dropped lines with the next one', () => {
    const { host, fns, advance } = setup({ policy: { logLinesPerSecond: 5 } });
    const results = Array.from({ length: 100 }, (_, i) =>
      fns.log({ level: 'info', message: `line ${i}` }),
    );
    expect(results.filter((r) => (r as { ok: boolean }).ok)).toHaveLength(5);
    expect(results[5]).toEqual({ ok: false, dropped: true });
    expect(host.emitted).toHaveLength(5);
    advance(1000);
    expect(fns.log({ level: 'info', message: 'after' })).toEqual({ ok: true });
    expect(host.emitted[5].payload).toMatchObject({ message: 'after', dropped_before: 95 });
  });

  it('caps a huge line at policy.maxLogBytes and marks it', () => {
    const { host, fns } = setup({ policy: { maxLogBytes: 100 } });
    expect(fns.log({ level: 'error', message: 'x'.repeat(5_000_000) })).toEqual({ ok: true });
    const payload = host.emitted[0].payload as { message: string; truncated: boolean };
    expect(Buffer.byteLength(payload.message)).toBeLessThanOrEqual(100);
    expect(payload).toMatchObject({
      truncated: true,
      message: expect.stringMatching(/…\[truncated\]$/),
    });
  });

  it('neutralises terminal escapes and forged lines', () => {
    const { host, fns } = setup();
    fns.log({ level: 'info', message: 'ok\r[ERROR] forged\u001b[2J' });
    expect((host.emitted[0].payload as { message: string }).message).toBe(
      'ok\uFFFD[ERROR] forged\uFFFD[2J',
    );
  });

  it.each([[{ level: 'fatal', message: 'x' }], [{ level: 'info', message: 42 }], [null]])(
    'rejects malformed input %j without emitting',
    (input) => {
      const { host, fns } = setup();
      expect(fns.log(input)).toMatchObject({ error: { code: 'invalid_input' } });
      expect(host.emitted).toEqual([]);
    },
  );

  it('never throws, even when the environment does', () => {
    const { host, fns } = setup();
    host.env.releasedSecrets = () => {
      throw new Error('boom');
    };
    expect(fns.log({ level: 'info', message: 'x' })).toEqual({
      error: { code: 'internal', message: 'host function failed' },
    });
    expect(fns.telemetry_emit({ name: 'x' })).toEqual({
      error: { code: 'internal', message: 'host function failed' },
    });
  });
});
