import { randomBytes } from 'node:crypto';
import { prepareLogMessage, TRUNCATION_MARK, truncateUtf8 } from './log-line.js';
import { fullLogBucket, LINE_DROPPED, takeLogToken } from './log-rate-limit.js';
import { REDACTED, ReleasedSecretScrubber } from './released-secrets.js';
import { containsSecret, redactScalar, redactText } from './secret-redaction.js';
import { checkTelemetryEvent } from './telemetry-event.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7b1x\nabc+/def==\n-----END RSA PRIVATE KEY-----';

describe('redactText: secrets that leaked through logs in real systems', () => {
  it.each([
    ['a JWT', `session ${JWT} ok`, `session ${REDACTED} ok`],
    ['an OpenAI key', 'key sk-proj-abcdefghijklmnop1234567890', `key ${REDACTED}`],
    ['an Anthropic key', 'sk-ant-api03-abcdefghijklmnopqrstu', REDACTED],
    ['a GitHub token', 'ghp_0123456789abcdefghijklmnopqrstuvwxyz', REDACTED],
    ['a GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop', REDACTED],
    ['an AWS access key id', 'aws AKIAIOSFODNN7EXAMPLE done', `aws ${REDACTED} done`],
    ['a Slack token', 'xoxb-123456789012-abcdefghij', REDACTED],
    ['a Stripe key', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', REDACTED],
    ['a Google API key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', REDACTED],
    ['a PEM block', `key:\n${PEM}\nafter`, `key:\n${REDACTED}\nafter`],
    [
      'an unterminated PEM block',
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      REDACTED,
    ],
    [
      'a bearer token',
      'Authorization: Bearer abcdef123456.xyz',
      `Authorization: Bearer ${REDACTED}`,
    ],
    ['basic auth', 'authorization=Basic dXNlcjpwYXNzd29yZA==', `authorization=Basic ${REDACTED}`],
    ['password=', 'login user=bob password=hunter2 ok', `login user=bob password=${REDACTED} ok`],
    [
      'token= in a query string',
      'GET /cb?code=1&token=abc123&x=1',
      `GET /cb?code=1&token=${REDACTED}&x=1`,
    ],
    ['a JSON secret field', '{"client_secret": "s3cr3t value"}', `{"client_secret": ${REDACTED}}`],
    ['an env-style line', 'DB_PASSWORD=correcthorse', `DB_PASSWORD=${REDACTED}`],
    [
      'URL credentials',
      'postgres://app:pa55w0rd@db:5432/x',
      `postgres://app:${REDACTED}@db:5432/x`,
    ],
    [
      'high-entropy base64',
      `blob ${randomBytes(30).toString('base64').replace(/[+/=]/g, 'A')}9aZ`,
      `blob ${REDACTED}`,
    ],
    [
      'high-entropy hex',
      'hex 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      `hex ${REDACTED}`,
    ],
  ])('%s', (_name, input, expected) => {
    expect(redactText(input, []).text).toBe(expected);
  });

  it.each([
    ['plain prose', 'the build finished in 12 seconds'],
    ['a lower-case path', '/usr/local/lib/node_modules/@convergio/policy/dist/index.js'],
    ['a uuid', '123e4567-e89b-12d3-a456-426614174000'],
    ['a low-entropy run', '00000000000000000000000000000000000000'],
    ['counters that mention tokens', 'max_tokens: 512, token_count=3'],
  ])('keeps %s', (_name, input) => {
    expect(redactText(input, [])).toEqual({ text: input, redacted: false });
  });

  // Text that no rule can match skips the rules; the shortest match of each must still be found.
  it.each([
    ['key-value', 'pwd=x', `pwd=${REDACTED}`],
    ['auth-scheme', 'Token 12345678', `Token ${REDACTED}`],
    ['url-credentials', 'a://b:c@', `a://b:${REDACTED}@`],
    ['jwt', 'eyJ12345678.12345678.', REDACTED],
    ['pem', '-----BEGIN A-----', REDACTED],
    ['vendor-key', 'AKIA0123456789ABCDEF', REDACTED],
  ])('redacts the shortest match of the %s rule', (_rule, input, expected) => {
    expect(redactText(input, []).text).toBe(expected);
  });

  it('redacts released secrets, also base64, hex and URL encoded', () => {
    const secret = 'my plain/secret?';
    const b64 = Buffer.from(secret).toString('base64');
    const hex = Buffer.from(secret).toString('hex');
    const text = `a ${secret} b ${b64} c ${encodeURIComponent(secret)} d ${hex}`;
    expect(redactText(text, [secret]).text).toBe(
      `a ${REDACTED} b ${REDACTED} c ${REDACTED} d ${REDACTED}`,
    );
  });

  it('ignores empty released secrets', () => {
    expect(redactText('abc', ['']).text).toBe('abc');
  });

  it('stays linear on hostile input', () => {
    const hostile =
      'password="'.repeat(20_000) + 'a.'.repeat(100_000) + '-----BEGIN X-----'.repeat(2000);
    const started = Date.now();
    redactText(hostile, ['zz']);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('redactScalar', () => {
  it.each([
    ['tok ' + JWT, REDACTED],
    ['contains released hunter2 inside', REDACTED],
    ['fine', 'fine'],
    [1234, 1234],
    [987654, REDACTED], // the released PIN 9876 appears in the number
    [true, true],
  ])('%j → %j', (value, expected) => {
    expect(redactScalar(value, ['hunter2', '9876'])).toBe(expected);
  });
  it('containsSecret', () => expect(containsSecret('x hunter2', ['hunter2'])).toBe(true));
});

describe('checkTelemetryEvent', () => {
  it('accepts values up to 1e15 in magnitude, and attribute numbers of any finite size', () => {
    for (const value of [1e15, -1e15, 0.5])
      expect(checkTelemetryEvent({ name: 'ok', value }, []).ok).toBe(true);
    expect(checkTelemetryEvent({ name: 'ok', attributes: { id: 1.7e308 } }, []).ok).toBe(true);
  });

  it('accepts and redacts', () => {
    const result = checkTelemetryEvent(
      {
        name: 'job.done',
        value: 3,
        attributes: { status: 'ok', auth: 'Bearer abcdefghijkl', key: 'hunter2' },
      },
      ['hunter2'],
    );
    expect(result).toEqual({
      ok: true,
      value: {
        name: 'job.done',
        value: 3,
        attributes: { status: 'ok', auth: REDACTED, key: REDACTED },
      },
    });
  });

  it('redacts alike with the released values or a scrubber built from them, numbers too', () => {
    const released = ['hunter2', '314159', ...Array.from({ length: 1022 }, (_, i) => `v-${i}-x`)];
    const event = {
      name: 'job.done',
      value: 1314159,
      attributes: { a: 'say hunter2', b: 'v-7-x!', c: 'clean', n: 42 },
    };
    const expected = {
      ok: true,
      value: {
        name: 'job.done',
        value: REDACTED,
        attributes: { a: REDACTED, b: REDACTED, c: 'clean', n: 42 },
      },
    };
    expect(checkTelemetryEvent(event, released)).toEqual(expected);
    expect(checkTelemetryEvent(event, new ReleasedSecretScrubber(released))).toEqual(expected);
    expect(
      checkTelemetryEvent(
        { name: 'ok', attributes: { hunter2: 1 } },
        new ReleasedSecretScrubber(released),
      ),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('contains a secret') });
  });

  it.each([
    [{ name: 'Bad' }, 'name'],
    [{ name: '1abc' }, 'name'],
    [{ name: 'a'.repeat(65) }, 'name'],
    [{ name: 'a-b' }, 'name'],
    [{ name: 'ok\n' }, 'name'],
    [{ name: 'ok', value: { x: 1 } }, 'value'],
    [{ name: 'ok', value: Number.NaN }, 'finite'],
    // Sums of values this large overflow to ±Infinity in /metrics (and to NaN once merged).
    [{ name: 'ok', value: 1.7e308 }, 'at most 1e15'],
    [{ name: 'ok', value: -1.7e308 }, 'at most 1e15'],
    [{ name: 'ok', value: 1e15 + 1 }, 'at most 1e15'],
    [
      {
        name: 'ok',
        attributes: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
      },
      'more than 16',
    ],
    [{ name: 'ok', attributes: { 'Bad-Key': 1 } }, 'key'],
    [{ name: 'ok', attributes: { k: 'x'.repeat(257) } }, 'longer than 256'],
    [{ name: 'ok', attributes: { k: null } }, 'string, a number'],
    [{ name: 'ok', attributes: [1] }, 'object'],
    [{ name: 'ok', attributes: { hunter2: 1 } }, 'contains a secret'],
    ['ok', 'object'],
  ])('refuses %j', (input, reason) => {
    const result = checkTelemetryEvent(input, ['hunter2']);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(reason);
  });
});

describe('prepareLogMessage', () => {
  // Short lines take a shortcut when nothing in them needs work; each of these needs some.
  it.each([
    ['a control character', 'a\u0007b', 100, [], { message: 'a\uFFFDb', redacted: false }],
    ['a key-value credential', 'pwd=x', 100, [], { message: 'pwd=[REDACTED]', redacted: true }],
    ['a token', 'AKIA0123456789ABCDEF', 100, [], { message: '[REDACTED]', redacted: true }],
    ['a released secret', 'say hunter', 100, ['hunter'], { message: 'say [REDACTED]' }],
    ['more than the cap', 'abcdefg', 5, [], { message: 'abcde', truncated: true }],
  ])('still works on a short line with %s', (_case, message, maxBytes, secrets, expected) => {
    expect(prepareLogMessage(message, maxBytes, secrets)).toMatchObject(expected);
  });

  it('keeps a short clean line as it is', () => {
    expect(prepareLogMessage('tick 42', 100, [])).toEqual({
      message: 'tick 42',
      truncated: false,
      redacted: false,
    });
  });

  it('redacts before truncating, so a secret at the cut is not half kept', () => {
    const message = 'x'.repeat(40) + ' ghp_0123456789abcdefghijklmnopqrstuvwxyz';
    const prepared = prepareLogMessage(message, 60, []);
    expect(prepared.message).not.toContain('ghp_');
    expect(prepared.redacted).toBe(true);
  });

  it('caps at maxBytes including the mark, without splitting a character', () => {
    const prepared = prepareLogMessage('é'.repeat(100), 50, []);
    expect(prepared.truncated).toBe(true);
    expect(Buffer.byteLength(prepared.message)).toBeLessThanOrEqual(50);
    expect(prepared.message.endsWith(TRUNCATION_MARK)).toBe(true);
    expect(prepared.message).not.toContain('\uFFFD');
  });

  it('neutralises terminal escapes and carriage returns, keeps newlines and tabs', () => {
    expect(prepareLogMessage('a\u001b[2Jb\rc\nd\te', 100, []).message).toBe(
      'a\uFFFD[2Jb\uFFFDc\nd\te',
    );
  });

  it('works on the head of a huge message only: an 8 MiB line becomes one capped, redacted line', () => {
    const secret = 'x'.repeat(5000) + 'S3CRET-VALUE';
    const message =
      `token ghp_0123456789abcdefghijklmnopqrstuvwxyz ${secret} \u001b[2J` + 'A'.repeat(8 << 20);
    const prepared = prepareLogMessage(message, 4096, [secret]);
    expect(prepared).toMatchObject({ truncated: true, redacted: true });
    expect(Buffer.byteLength(prepared.message)).toBeLessThanOrEqual(4096);
    expect(prepared.message).not.toContain('ghp_');
    expect(prepared.message).not.toContain('x'.repeat(4096 - 200));
    expect(prepared.message).not.toContain('\u001b');
  });

  it('truncateUtf8 keeps whole characters', () => {
    expect(truncateUtf8('a€b', 2)).toBe('a');
    expect(truncateUtf8('a€b', 4)).toBe('a€');
  });
});

describe('takeLogToken (injected clock)', () => {
  function run(times: number[], rate: number): boolean[] {
    const bucket = fullLogBucket(times[0], rate);
    return times.map((now) => takeLogToken(bucket, now, rate) !== LINE_DROPPED);
  }

  it('allows a burst of one second, then drops', () => {
    expect(run([0, 0, 0, 0], 3)).toEqual([true, true, true, false]);
  });

  it('refills with time', () => {
    expect(run([0, 0, 0, 500, 999, 1000], 2)).toEqual([true, true, false, true, false, true]);
  });

  it('does not refill when the clock goes backwards', () => {
    expect(run([10_000, 10_000, 0, 5_000], 1)).toEqual([true, false, false, false]);
  });

  it('drops everything at rate 0', () => {
    expect(run([0, 1000, 2000], 0)).toEqual([false, false, false]);
  });

  it('reports how many lines were dropped before the next one', () => {
    const bucket = fullLogBucket(0, 1);
    expect([0, 0, 0].map((now) => takeLogToken(bucket, now, 1))).toEqual([
      0,
      LINE_DROPPED,
      LINE_DROPPED,
    ]);
    expect(bucket.dropped).toBe(2);
    expect(takeLogToken(bucket, 1000, 1)).toBe(2);
    expect(bucket.dropped).toBe(0);
  });
});
