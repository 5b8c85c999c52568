export { expectEventually, type EventuallyOptions } from './expect-eventually.js';
export { startRequest, type RequestInProgress } from './request-in-progress.js';
export { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from './test-database.js';
export { applyServiceLogins, AUDIT_OWNER, serviceLogin } from './service-logins.js';
export { ROOT, runMain, serviceMain, type ProcessRun } from './run-main.js';
export { connectTestNats, deleteTestStream, storedEventIds, TEST_NATS_URL } from './nats.js';
export { startInterruptibleProxy, type InterruptibleProxy } from './interruptible-proxy.js';
export { aManifest, exampleModule, notesExample, sha256Hex } from './plugin-factory.js';
export { SERVICES, startPlatform, type PlatformBus, type PlatformInfo } from './platform.js';
export {
  startDnsServer,
  type DnsAnswers,
  type DnsRecordType,
  type TestDnsServer,
} from './dns-server.js';
export { createPublisherKey, keyIssuer } from './api-keys.js';
export { runBuiltCli, type CliRun } from './built-cli.js';
export { exponentialInputSchema } from './hostile-schemas.js';
export { startLocalKeyVault, type KeyVaultRequest, type LocalKeyVault } from './local-key-vault.js';
export { NATS_CONF, startConfiguredNats, type ConfiguredNatsServer } from './nats-server.js';
export * from './text-encodings.js';
