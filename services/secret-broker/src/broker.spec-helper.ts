import { createPrivateKey, type KeyObject } from 'node:crypto';
import {
  EventSubjects,
  RequestSubjects,
  type EventPayloadMap,
  type Permissions,
} from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest } from '@convergio/testing';
import { secretBrokerSettings } from './config/secret-broker.config.js';
import { secretBrokerPersistence, SecretBrokerModule } from './index.js';

/** The module hash every test version was approved with. */
export const SHA = 'a'.repeat(64);
export const VALUE = 'db-password-Zq8vR2xW';
export const OTHER_VALUE = 'other-secret-Hk3mP9tL';
export const CARD = '4111111111111234';
const STORE_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * The broker on real PostgreSQL with three stored secrets (`card-number` released as its last 4
 * characters) and approved versions: acme.reader 1.0.0 (db-password, card-number) and 1.1.0
 * (db-password), acme.other (other-secret), acme.bystander (db-password), acme.plain (nothing).
 */
export async function startBrokerUnderTest() {
  const h: ServiceHarness = await startServiceHarness({
    ...secretBrokerPersistence,
    feature: SecretBrokerModule.register(
      secretBrokerSettings({
        SECRET_TOKEN_TTL_S: 60,
        SECRET_STORE_KEY: STORE_KEY,
        AZURE_KEY_VAULT_CACHE_S: 30,
        AZURE_KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: false,
        SECRET_RELEASE_FORMS: JSON.stringify({ 'card-number': { last: 4 } }),
      }),
    ),
  });

  /** Approves a version, delivered twice (idempotent: the second changes nothing). */
  async function approve(id: string, version: string, permissions: Permissions) {
    const eventId = await h.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: id,
      version,
      manifest: aManifest({ id, version, permissions, signing: { sha256: SHA } }),
      module_sha256: SHA,
      trust: 'untrusted',
      approved_by: 'auto',
    });
    await h.redeliver(eventId);
  }

  /** Publishes an event and waits until the broker has handled it (a redelivery waits for it). */
  async function delivered<S extends 'plugin.revoked' | 'signer.revoked'>(
    subject: S,
    data: EventPayloadMap[S],
  ) {
    await h.redeliver(await h.bus.publish(subject, data));
  }

  const issue = async (plugin_id: string, version: string) =>
    (
      await h.bus.request(RequestSubjects.SecretsTokenIssue, {
        plugin_id,
        version,
        module_sha256: SHA,
      })
    ).token;
  const read = (token: string, plugin_id: string, version: string, secret_id: string) =>
    h.bus.request(RequestSubjects.SecretsRead, { token, plugin_id, version, secret_id });

  /** The refusal the plugin gets, the permission.denied it leaves, and a bystander still served. */
  async function expectRefused(
    reply: Awaited<ReturnType<typeof read>>,
    plugin: string,
    secret: string,
    reason: RegExp,
  ) {
    expect(reply).toEqual({
      error: { code: 'permission_denied', message: expect.stringMatching(reason) },
    });
    await h.waitFor(
      EventSubjects.PermissionDenied,
      (e) => e.data.plugin_id === plugin && e.data.target === secret && reason.test(e.data.reason),
    );
    const bystander = await issue('acme.bystander', '1.0.0');
    expect(await read(bystander, 'acme.bystander', '1.0.0', 'db-password')).toEqual({
      value: VALUE,
    });
  }

  for (const [id, value] of [
    ['db-password', VALUE],
    ['other-secret', OTHER_VALUE],
    ['card-number', CARD],
  ])
    await h.bus.request(RequestSubjects.SecretsPut, { id, value, actor: 'admin-key-id' });
  await approve('acme.reader', '1.0.0', {
    'secrets.read': { ids: ['db-password', 'card-number'] },
  });
  await approve('acme.reader', '1.1.0', { 'secrets.read': { ids: ['db-password'] } });
  await approve('acme.other', '1.0.0', { 'secrets.read': { ids: ['other-secret'] } });
  await approve('acme.bystander', '1.0.0', { 'secrets.read': { ids: ['db-password'] } });
  await approve('acme.plain', '1.0.0', {});
  const [row] = await h.dataSource.query<{ private_key_pem: string }[]>(
    `SELECT private_key_pem FROM secret_broker.signing_keys`,
  );
  const brokerKey: KeyObject = createPrivateKey(row.private_key_pem);
  return { h, brokerKey, approve, delivered, issue, read, expectRefused };
}

/** What {@link startBrokerUnderTest} resolves to. */
export type BrokerUnderTest = Awaited<ReturnType<typeof startBrokerUnderTest>>;
