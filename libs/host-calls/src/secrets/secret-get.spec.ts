import type { ExecutorLink } from '@convergio/sandbox';
import { bindHostFunctions } from '../dispatch.js';
import { expectDenied, fakeHost } from '../fs/fake-host-environment.spec-helper.js';
import { FakeHostEnv, testPolicy } from '../net/testing/fake-host-env.js';
import { createSecretServices, SECRET_GET_OP } from './index.js';

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
    const { ops } = createSecretServices((_op, payload) =>
      Promise.resolve(answers[(payload as { id: string }).id]),
    );
    const context = {
      plugin: { id: 'p', version: '1', trust: 'untrusted' as const },
      signal: new AbortController().signal,
      instance: 'i',
      releaseSecret: (v: string) => void released.push(v),
      policy: testPolicy(),
      grants: { 'secrets.read': { ids: ['a', 'b'] } },
    };
    expect(await ops[SECRET_GET_OP]({ id: 'a' }, context)).toEqual({ value: 's3cr3t' });
    expect(await ops[SECRET_GET_OP]({ id: 'b' }, context)).toEqual(answers.b);
    expect(released).toEqual(['s3cr3t']);
  });
});

describe('secret_get refused by the broker, or of no such secret, in a call', () => {
  const plugin = { id: 'acme.reader', version: '1.0.0', trust: 'untrusted' as const };
  const grants = { 'secrets.read': { ids: ['db-password', 'api-key'] } };
  const refusal = { error: { code: 'permission_denied', message: 'acme.reader@1.0.0 is revoked' } };

  /** Secret services over an executor answering `reply`, and what the executor was asked. */
  function executorAnswering(reply: unknown) {
    const asked: unknown[] = [];
    const link: ExecutorLink = (op, payload) => {
      asked.push({ op, payload });
      return Promise.resolve(reply);
    };
    return { asked, services: createSecretServices(link) };
  }
  /** One instance (one call at a time) of the plugin, its secret_get reaching `services`. */
  const instanceOf = (
    services: ReturnType<typeof createSecretServices>,
    signal = new AbortController().signal,
  ) => new FakeHostEnv(bindHostFunctions, services.ops, plugin, grants, testPolicy(), signal);

  it('asks once per secret, answering and recording every repeat as refused', async () => {
    const { asked, services } = executorAnswering(refusal);
    const call = instanceOf(services);
    for (let i = 0; i < 1000; i++)
      expect(await call.invoke('secret_get', { id: 'db-password' })).toMatchObject(refusal);
    expect(await call.invoke('secret_get', { id: 'api-key' })).toEqual(refusal);
    expect(asked).toEqual([
      { op: SECRET_GET_OP, payload: { id: 'db-password' } },
      { op: SECRET_GET_OP, payload: { id: 'api-key' } },
    ]);
    // The executor or the broker recorded each first refusal; the worker records the repeats.
    expect(call.denials).toEqual(
      Array(999).fill({
        capability: 'secrets.read',
        target: 'db-password',
        reason: refusal.error.message,
      }),
    );
  });

  it("asks again in the instance's next call, and in another instance's call", async () => {
    const { asked, services } = executorAnswering(refusal);
    const [one, two] = [instanceOf(services), instanceOf(services)];
    await one.invoke('secret_get', { id: 'db-password' });
    await one.invoke('secret_get', { id: 'db-password' });
    await two.invoke('secret_get', { id: 'db-password' });
    expect(asked).toHaveLength(2);
    services.onCallEnd(one.instance);
    await one.invoke('secret_get', { id: 'db-password' });
    await one.invoke('secret_get', { id: 'db-password' });
    expect(asked).toHaveLength(3);
  });

  it('asks again after a broker that is unavailable', async () => {
    const unavailable = { error: { code: 'io_error', message: 'retry later' } };
    const { asked, services } = executorAnswering(unavailable);
    const call = instanceOf(services);
    for (let i = 0; i < 3; i++)
      expect(await call.invoke('secret_get', { id: 'db-password' })).toEqual(unavailable);
    expect(asked).toHaveLength(3);
    expect(call.denials).toEqual([]);
  });

  it('looks a granted secret the store does not hold up once per call, and reads a bystander secret meanwhile', async () => {
    // The broker's store: holds api-key, not db-password; counts its look-ups.
    const lookups: string[] = [];
    const store = new Map([['api-key', 'k3y-Value-9']]);
    const services = createSecretServices((_op, payload) => {
      const { id } = payload as { id: string };
      lookups.push(id);
      const value = store.get(id);
      return Promise.resolve(
        value === undefined
          ? { error: { code: 'not_found', message: `no secret ${id}` } }
          : { value },
      );
    });
    const missing = { error: { code: 'not_found', message: 'no secret db-password' } };
    const call = instanceOf(services);
    for (let i = 0; i < 1000; i++)
      expect(await call.invoke('secret_get', { id: 'db-password' })).toEqual(missing);
    expect(await call.invoke('secret_get', { id: 'api-key' })).toEqual({ value: 'k3y-Value-9' });
    expect(lookups).toEqual(['db-password', 'api-key']);
    expect(call.denials).toEqual([]); // no such secret is no refusal
    // Created since: the next call of the same instance finds it.
    services.onCallEnd(call.instance);
    store.set('db-password', 'db-Value-7');
    expect(await call.invoke('secret_get', { id: 'db-password' })).toEqual({
      value: 'db-Value-7',
    });
    expect(lookups).toEqual(['db-password', 'api-key', 'db-password']);
  });

  it('keeps nothing of a call stopped while the executor answered', async () => {
    const { asked, services } = executorAnswering(refusal);
    const stopped = new AbortController();
    stopped.abort();
    const call = instanceOf(services, stopped.signal);
    await call.invoke('secret_get', { id: 'db-password' });
    await call.invoke('secret_get', { id: 'db-password' });
    expect(asked).toHaveLength(2);
  });
});
