import { ConfigError, loadConfig } from '@convergio/config';
import { startServiceHarness } from '@convergio/service-testing';
import { SecretBrokerConfig } from './config/secret-broker.config.js';
import { secretBrokerPersistence, SecretBrokerModule } from './index.js';

const base = { DATABASE_URL: 'postgres://broker@127.0.0.1:5432/convergio' };

describe('secret broker', () => {
  it('boots on its own schema', async () => {
    const h = await startServiceHarness({
      ...secretBrokerPersistence,
      feature: SecretBrokerModule,
    });
    try {
      const tables = await h.dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'secret_broker' ORDER BY 1`,
      );
      expect(tables).toEqual([{ table_name: 'migrations' }, { table_name: 'processed_events' }]);
    } finally {
      await h.close();
    }
  });

  it('reads an Azure Key Vault URL only over https', () => {
    expect(
      loadConfig(SecretBrokerConfig, {
        ...base,
        AZURE_KEY_VAULT_URL: 'https://vault.vault.azure.net',
      }).AZURE_KEY_VAULT_URL,
    ).toBe('https://vault.vault.azure.net');
    expect(() =>
      loadConfig(SecretBrokerConfig, { ...base, AZURE_KEY_VAULT_URL: 'http://vault.example' }),
    ).toThrow(ConfigError);
    expect(loadConfig(SecretBrokerConfig, base).AZURE_KEY_VAULT_URL).toBeUndefined();
  });
});
