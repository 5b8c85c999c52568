import { bindHostFunctions } from '../dispatch.js';
import { expectDenied, fakeHost } from '../fs/fake-host-environment.spec-helper.js';
import { createSecretMainThreadOps, SECRET_GET_OP } from './index.js';

const granted = { 'secrets.read': { ids: ['db-password'] } };

/** secret_get with a main thread that answers `reply` and records what it was asked. */
function secretGet(grants: object, input: unknown, reply: unknown = { value: 'v' }) {
  const host = fakeHost({ grants });
  const asked: unknown[] = [];
  const env = {
    ...host.env,
    callMain: (op: string, payload: unknown) => {
      asked.push({ op, payload });
      return reply;
    },
  };
  const result = bindHostFunctions(env).secret_get(input);
  return { host, result, asked };
}

describe('secret_get', () => {
  it('asks the main thread for a granted id and hands back its answer', () => {
    const { result, asked, host } = secretGet(granted, { id: 'db-password' });
    expect(result).toEqual({ value: 'v' });
    expect(asked).toEqual([{ op: SECRET_GET_OP, payload: { id: 'db-password' } }]);
    expect(host.denials).toEqual([]);
  });

  it('refuses, and records, an id outside the grant without asking anyone', () => {
    const call = secretGet(granted, { id: 'other-secret' });
    expectDenied(call, 'secrets.read', 'other-secret', 'not granted');
    expect(call.asked).toEqual([]);
  });

  it('refuses, and records, a plugin granted no secret', () => {
    const call = secretGet({}, { id: 'db-password' });
    expectDenied(call, 'secrets.read', 'db-password', 'secrets.read is not granted');
    expect(call.asked).toEqual([]);
  });

  it.each([
    ['a path', { id: '../db-password' }],
    ['an empty id', { id: '' }],
    ['a number', { id: 7 }],
    ['no object', 'db-password'],
    ['a 128-character id', { id: 'a'.repeat(128) }],
  ])('answers invalid_input for %s, asking no one', (_what, input) => {
    const { result, asked, host } = secretGet(granted, input);
    expect(result).toMatchObject({ error: { code: 'invalid_input' } });
    expect(asked).toEqual([]);
    expect(host.denials).toEqual([]);
  });

  it("passes the broker's refusal on without recording it again (the broker did)", () => {
    const refusal = {
      error: { code: 'permission_denied', message: 'the secret token has expired' },
    };
    const { result, host } = secretGet(granted, { id: 'db-password' }, refusal);
    expect(result).toEqual(refusal);
    expect(host.denials).toEqual([]);
  });
});

describe('secret_get on the main thread', () => {
  it('records a released value for redaction, and nothing else', async () => {
    const released: string[] = [];
    const answers: Record<string, unknown> = {
      a: { value: 's3cr3t' },
      b: { error: { code: 'not_found', message: 'no' } },
    };
    const ops = createSecretMainThreadOps((_op, payload) =>
      Promise.resolve(answers[(payload as { id: string }).id]),
    );
    const context = {
      plugin: { id: 'p', version: '1', trust: 'untrusted' as const },
      signal: new AbortController().signal,
      instance: 'i',
      releaseSecret: (v: string) => void released.push(v),
    };
    expect(await ops[SECRET_GET_OP]({ id: 'a' }, context)).toEqual({ value: 's3cr3t' });
    expect(await ops[SECRET_GET_OP]({ id: 'b' }, context)).toEqual(answers.b);
    expect(released).toEqual(['s3cr3t']);
  });
});
