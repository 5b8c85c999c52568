import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  EventSubjects,
  type EventEnvelope,
  type Finding,
  type RequestMap,
  type ReplyMap,
  type Trust,
  type VersionState,
  type VersionStatus,
} from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { ARTIFACT_STORE, type ArtifactStore } from '@convergio/artifacts';
import { REGISTRY_SCHEMA, REGISTRY_SERVICE } from '../registry.schema.js';
import { canMove } from './lifecycle.js';
import { PluginVersion } from './plugin-version.entity.js';

const ProcessedEvent = processedEventEntity(REGISTRY_SCHEMA);

/** What an event changes on a stored version. */
export interface VersionChange {
  status?: VersionStatus;
  trust?: Trust;
  findings?: Finding[];
  /** An executor instance loaded or unloaded the version; `unloadedEverywhere` on revocation. */
  loading?: { instance: string; loaded: boolean } | 'unloadedEverywhere';
}

/** Submissions, their lifecycle state, and the queries the gateway needs. */
@Injectable()
export class RegistryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: BusClient,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  async submit(req: RequestMap['registry.submit']): Promise<ReplyMap['registry.submit']> {
    const id = typeof req.manifest.id === 'string' ? req.manifest.id : '';
    const version = typeof req.manifest.version === 'string' ? req.manifest.version : '';
    const name = typeof req.manifest.name === 'string' ? req.manifest.name : id;
    if (!id || !version)
      throw new DomainError('validation_failed', 'manifest needs an id and a version');
    if (!(await this.artifacts.has(req.module_sha256))) {
      throw new DomainError(
        'bad_request',
        `module ${req.module_sha256} is not in the artifact store`,
      );
    }
    return this.dataSource.transaction(async (manager) => {
      const existing = await manager.findOneBy(PluginVersion, { pluginId: id, version });
      if (existing) throw new DomainError('conflict', `${id}@${version} was already submitted`);
      await manager.save(
        manager.create(PluginVersion, {
          pluginId: id,
          version,
          name,
          status: 'submitted',
          manifest: req.manifest,
          moduleSha256: req.module_sha256,
          moduleSize: req.module_size,
          submittedBy: req.submitted_by,
        }),
      );
      // Published inside the transaction so a failed publish stores nothing. If the commit then fails,
      // the event names a version the registry never stored (an outbox would close that gap).
      await this.bus.publish(EventSubjects.PluginSubmitted, {
        plugin_id: id,
        version,
        manifest: req.manifest,
        module_sha256: req.module_sha256,
        module_size: req.module_size,
        submitted_by: req.submitted_by,
      });
      return { plugin_id: id, version, status: 'submitted' as const };
    });
  }

  /** Applies a lifecycle event once; a status never moves backwards. */
  async apply(event: EventEnvelope, change: VersionChange): Promise<void> {
    const { plugin_id, version } = event.data as { plugin_id: string; version: string };
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      REGISTRY_SERVICE,
      event.id,
      async (manager) => {
        const row = await manager.findOneBy(PluginVersion, { pluginId: plugin_id, version });
        if (!row) return;
        // Trust and findings belong to the status that brought them: a late plugin.verified must not
        // overwrite the trust an admin set on approval.
        if (change.status && canMove(row.status, change.status)) {
          row.status = change.status;
          if (change.trust) row.trust = change.trust;
          if (change.findings) row.findings = change.findings;
        }
        if (change.loading === 'unloadedEverywhere') row.loadedOn = [];
        else if (change.loading) row.loadedOn = loadedOn(row.loadedOn, change.loading);
        await manager.save(row);
      },
    );
  }

  async list(): Promise<ReplyMap['registry.plugins.list']> {
    const rows = await this.dataSource
      .getRepository(PluginVersion)
      .find({ order: { pluginId: 'ASC', submittedAt: 'DESC' } });
    const latest = new Map<string, PluginVersion>();
    for (const row of rows) if (!latest.has(row.pluginId)) latest.set(row.pluginId, row);
    return {
      plugins: [...latest.values()].map((r) => ({
        plugin_id: r.pluginId,
        name: r.name,
        latest_version: r.version,
        status: r.status,
        updated_at: r.updatedAt.toISOString(),
      })),
    };
  }

  async getPlugin(pluginId: string): Promise<ReplyMap['registry.plugins.get']> {
    const rows = await this.dataSource
      .getRepository(PluginVersion)
      .find({ where: { pluginId }, order: { submittedAt: 'DESC' } });
    if (rows.length === 0) throw new DomainError('not_found', `plugin ${pluginId} is unknown`);
    return { plugin_id: pluginId, name: rows[0].name, versions: rows.map(toState) };
  }

  async getVersion(pluginId: string, version: string): Promise<VersionState> {
    return toState(await this.find(this.dataSource.manager, pluginId, version));
  }

  async revoke(req: RequestMap['registry.versions.revoke']): Promise<VersionState> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.find(manager, req.plugin_id, req.version);
      if (row.status === 'revoked')
        throw new DomainError(
          'invalid_state',
          `${req.plugin_id}@${req.version} is already revoked`,
        );
      row.status = 'revoked';
      await manager.update(
        PluginVersion,
        { pluginId: row.pluginId, version: row.version },
        { status: 'revoked' },
      );
      await this.bus.publish(EventSubjects.PluginRevoked, {
        plugin_id: row.pluginId,
        version: row.version,
        revoked_by: req.revoked_by,
        ...(req.reason ? { reason: req.reason } : {}),
      });
      return toState(row);
    });
  }

  private async find(
    manager: EntityManager,
    pluginId: string,
    version: string,
  ): Promise<PluginVersion> {
    const row = await manager.findOneBy(PluginVersion, { pluginId, version });
    if (!row) throw new DomainError('not_found', `${pluginId}@${version} is unknown`);
    return row;
  }
}

function toState(r: PluginVersion): VersionState {
  const permissions = (r.manifest.permissions ?? {}) as Record<string, unknown>;
  return {
    plugin_id: r.pluginId,
    version: r.version,
    status: r.status,
    trust: r.trust,
    module_sha256: r.moduleSha256,
    permissions,
    findings: r.findings,
    loaded: r.loadedOn.length > 0,
    loaded_on: r.loadedOn,
    submitted_by: r.submittedBy,
    submitted_at: r.submittedAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function loadedOn(current: string[], { instance, loaded }: { instance: string; loaded: boolean }) {
  const others = current.filter((name) => name !== instance);
  return loaded ? [...others, instance] : others;
}
