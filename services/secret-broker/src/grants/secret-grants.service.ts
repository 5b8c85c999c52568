import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventEnvelope } from '@convergio/contracts';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { SECRET_BROKER_SCHEMA, SECRET_BROKER_SERVICE } from '../secret-broker.schema.js';
import { SecretGrantsRepository } from './secret-grants.repository.js';

const ProcessedEvent = processedEventEntity(SECRET_BROKER_SCHEMA);

/** Keeps the broker's view of which approved versions may read which secrets. */
@Injectable()
export class SecretGrantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly grants: SecretGrantsRepository,
  ) {}

  /** Records the version's secrets.read grant (none: an empty list, so tokens scope nothing). */
  async onApproved(event: EventEnvelope<'plugin.approved'>): Promise<void> {
    const d = event.data;
    await this.once(event.id, (manager) =>
      this.grants.approved(manager, {
        pluginId: d.plugin_id,
        version: d.version,
        moduleSha256: d.module_sha256,
        secretIds: d.manifest.permissions['secrets.read']?.ids ?? [],
      }),
    );
  }

  async onRevoked(event: EventEnvelope<'plugin.revoked'>): Promise<void> {
    await this.once(event.id, (manager) =>
      this.grants.revoked(manager, event.data.plugin_id, event.data.version),
    );
  }

  /** A revoked signer revokes every version it signed. */
  async onSignerRevoked(event: EventEnvelope<'signer.revoked'>): Promise<void> {
    await this.once(event.id, async (manager) => {
      for (const v of event.data.versions)
        await this.grants.revoked(manager, v.plugin_id, v.version);
    });
  }

  private async once(eventId: string, work: Parameters<typeof handleOnce<void>>[4]): Promise<void> {
    await handleOnce(this.dataSource, ProcessedEvent, SECRET_BROKER_SERVICE, eventId, work);
  }
}
