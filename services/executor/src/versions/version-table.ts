import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventEnvelope, Finding } from '@convergio/contracts';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { EXECUTOR_SCHEMA, EXECUTOR_SERVICE } from '../executor.schema.js';
import { VersionRecordRow } from './version-record.entity.js';
import { applyChange, changeOf } from './version-record.js';

const ProcessedEvent = processedEventEntity(EXECUTOR_SCHEMA);

/**
 * Writes the executor's table of plugin versions (which exist, which may run): what a replica
 * reads at start (RunnableVersions keeps it in memory afterwards) and where policy verdicts are
 * kept.
 */
@Injectable()
export class VersionTable {
  constructor(private readonly dataSource: DataSource) {}

  /** Applies a lifecycle event once; returns the version's row if its status changed. */
  async apply(event: EventEnvelope): Promise<VersionRecordRow | undefined> {
    const change = changeOf(event);
    if (!change) return undefined;
    const { plugin_id, version } = event.data as { plugin_id: string; version: string };
    const outcome = await handleOnce(
      this.dataSource,
      ProcessedEvent,
      EXECUTOR_SERVICE,
      event.id,
      async (manager) => {
        const existing = await manager.findOneBy(VersionRecordRow, {
          pluginId: plugin_id,
          version,
        });
        const next = applyChange(
          existing ?? undefined,
          { pluginId: plugin_id, version },
          change,
          event.occurred_at,
        );
        if (!next) return undefined;
        return manager.save(Object.assign(existing ?? manager.create(VersionRecordRow), next));
      },
    );
    return outcome.duplicate ? undefined : outcome.result;
  }

  /** Stores a version's operator policy verdict; true when it differs from the one stored. */
  async recordPolicyVerdict(
    pluginId: string,
    version: string,
    violations: Finding[],
  ): Promise<boolean> {
    const repo = this.dataSource.getRepository(VersionRecordRow);
    const row = await repo.findOneBy({ pluginId, version });
    if (!row || JSON.stringify(row.policyViolations) === JSON.stringify(violations)) return false;
    await repo.update({ pluginId, version }, { policyViolations: violations });
    return true;
  }
}
