import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { GATEWAY_SERVICE } from '../gateway.schema.js';
import { ApiKeyService, BOOTSTRAP_ADMIN_NAME } from './api-key.service.js';

/** How the first admin key comes to be. */
export interface AdminKeySettings {
  /**
   * A key the operator chose (CONVERGIO_ADMIN_KEY); made an admin key if it never was a key's
   * secret (a revoked or rotated-out one is not brought back).
   */
  adminKey?: string;
  /** Where a generated key is written (mode 0600) when no admin key exists. */
  adminKeyFile: string;
}
export const ADMIN_KEY_SETTINGS = Symbol('ADMIN_KEY_SETTINGS');

/** Makes sure an admin can log in on first start, and says where the key is. */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  private readonly log = new Logger('AdminKey');

  constructor(
    private readonly keys: ApiKeyService,
    @Inject(ADMIN_KEY_SETTINGS) private readonly settings: AdminKeySettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureAdminKey();
    // An admin key of the operator's own shape, made now or on an earlier start, keeps working.
    await this.keys.loadBootstrapSecrets();
  }

  private async ensureAdminKey(): Promise<void> {
    const { adminKey, adminKeyFile } = this.settings;
    if (adminKey) {
      if (!(await this.keys.hasKey(adminKey)))
        await this.keys.create(
          { name: BOOTSTRAP_ADMIN_NAME, roles: ['admin'] },
          GATEWAY_SERVICE,
          adminKey,
        );
      else await this.keys.adoptBootstrapKey(adminKey);
      this.log.log('admin key: the one given in CONVERGIO_ADMIN_KEY');
      return;
    }
    if (await this.keys.hasActiveAdmin()) return;
    const { key } = await this.keys.create(
      { name: BOOTSTRAP_ADMIN_NAME, roles: ['admin'] },
      GATEWAY_SERVICE,
    );
    const file = resolve(adminKeyFile);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    this.log.log(`admin key written to ${file}`);
  }
}
