import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DomainError,
  type EventEnvelope,
  type Finding,
  type Manifest,
  type Trust,
} from '@convergio/contracts';
import { servingVersion } from '@convergio/manifest';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { EXECUTOR_SCHEMA, EXECUTOR_SERVICE } from '../executor.schema.js';
import { Deployment, type DeploymentStatus } from './deployment.entity.js';
import { canMoveDeployment } from './deployment-status.js';

const ProcessedEvent = processedEventEntity(EXECUTOR_SCHEMA);

/** What an event says about a version. */
export interface DeploymentChange {
  status: DeploymentStatus;
  moduleSha256?: string;
  manifest?: Manifest;
  trust?: Trust;
}

/** The executor's own record of which versions exist and which may run. */
@Injectable()
export class DeploymentsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Applies a lifecycle event once; returns the deployment if its status changed. */
  async apply(event: EventEnvelope, change: DeploymentChange): Promise<Deployment | undefined> {
    const { plugin_id, version } = event.data as { plugin_id: string; version: string };
    const outcome = await handleOnce(
      this.dataSource,
      ProcessedEvent,
      EXECUTOR_SERVICE,
      event.id,
      async (manager) => {
        const existing = await manager.findOneBy(Deployment, { pluginId: plugin_id, version });
        if (existing && !canMoveDeployment(existing.status, change.status)) return undefined;
        const row =
          existing ??
          manager.create(Deployment, {
            pluginId: plugin_id,
            version,
            manifest: null,
            trust: null,
            approvedAt: null,
            moduleSha256: '',
          });
        if (change.status === 'pending') {
          // A rejected version submitted again: nothing of the earlier submission carries over.
          Object.assign(row, { manifest: null, trust: null, approvedAt: null });
        }
        row.status = change.status;
        if (change.moduleSha256) row.moduleSha256 = change.moduleSha256;
        if (change.manifest) row.manifest = change.manifest;
        if (change.trust) row.trust = change.trust;
        if (change.status === 'approved') row.approvedAt = new Date(event.occurred_at);
        return manager.save(row);
      },
    );
    return outcome.duplicate ? undefined : outcome.result;
  }

  /**
   * The version to run: the one asked for, or the one served by default (the highest approved
   * release, `servingVersion`); refuses anything not approved.
   */
  async runnable(pluginId: string, version?: string): Promise<Deployment & { manifest: Manifest }> {
    const rows = await this.dataSource.getRepository(Deployment).findBy({ pluginId });
    if (rows.length === 0) throw new DomainError('not_found', `plugin ${pluginId} is unknown`);
    const wanted = version ?? servingVersion(rows);
    if (!wanted)
      throw new DomainError(
        'invalid_state',
        `${pluginId} has no approved release to run by default; name a version to run an approved pre-release`,
      );
    const row = rows.find((r) => r.version === wanted);
    if (!row) throw new DomainError('not_found', `${pluginId}@${wanted} is unknown`);
    if (row.status !== 'approved' || !row.manifest) {
      throw new DomainError(
        'invalid_state',
        `${pluginId}@${row.version} is ${row.status}, not approved`,
      );
    }
    return row as Deployment & { manifest: Manifest };
  }

  /** Stores a version's operator policy verdict; true when it differs from the one stored. */
  async recordPolicyVerdict(
    pluginId: string,
    version: string,
    violations: Finding[],
  ): Promise<boolean> {
    const repo = this.dataSource.getRepository(Deployment);
    const row = await repo.findOneBy({ pluginId, version });
    if (!row || JSON.stringify(row.policyViolations) === JSON.stringify(violations)) return false;
    await repo.update({ pluginId, version }, { policyViolations: violations });
    return true;
  }

  /** Every approved version (pre-releases included), by plugin. */
  async approved(): Promise<(Deployment & { manifest: Manifest })[]> {
    const rows = await this.dataSource
      .getRepository(Deployment)
      .find({ where: { status: 'approved' }, order: { pluginId: 'ASC', approvedAt: 'DESC' } });
    return rows as (Deployment & { manifest: Manifest })[];
  }
}
