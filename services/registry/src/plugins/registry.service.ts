import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  decodePageCursor,
  DomainError,
  encodePageCursor,
  EventSubjects,
  type EventEnvelope,
  type Finding,
  type LoadFailure,
  type RequestMap,
  type ReplyMap,
  type Trust,
  type VersionState,
  type VersionStatus,
} from '@convergio/contracts';
import {
  BusLimits,
  pageWithin,
  TransactionalOutbox,
  type MessageContext,
} from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { REGISTRY_SCHEMA, REGISTRY_SERVICE } from '../registry.schema.js';
import { canMove } from './lifecycle.js';
import { Plugin } from './plugin.entity.js';
import { PluginVersion } from './plugin-version.entity.js';
import { pluginVersionsPage } from './plugin-versions-page.js';
import { refreshServingVersion } from './serving-version.js';

const ProcessedEvent = processedEventEntity(REGISTRY_SCHEMA);
const PLUGINS = 'plugins';

/** What an event changes on a stored version. */
export interface VersionChange {
  status?: VersionStatus;
  trust?: Trust;
  findings?: Finding[];
  /** An executor instance loaded or unloaded the version; `unloadedEverywhere` on revocation. */
  loading?: { instance: string; loaded: boolean } | 'unloadedEverywhere';
  /** The operator policy rules the version breaks, as the executor last checked them. */
  policyViolations?: Finding[];
  /** A load that failed; a load that succeeds clears it. */
  loadFailure?: LoadFailure;
}

/** Submissions, their lifecycle state, and the queries the gateway needs. */
@Injectable()
export class RegistryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
    private readonly limits: BusLimits,
  ) {}

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
        const moved = change.status !== undefined && canMove(row.status, change.status);
        if (moved) {
          row.status = change.status!;
          if (change.status === 'approved') row.approvedAt ??= new Date(event.occurred_at);
          if (change.trust) row.trust = change.trust;
          if (change.findings) row.findings = change.findings;
        }
        if (change.policyViolations) row.policyViolations = change.policyViolations;
        if (change.loading === 'unloadedEverywhere') row.loadedOn = [];
        else if (change.loading) row.loadedOn = loadedOn(row.loadedOn, change.loading);
        if (change.loadFailure) row.loadFailure = change.loadFailure;
        else if (typeof change.loading === 'object' && change.loading.loaded)
          row.loadFailure = null;
        await manager.save(row);
        if (moved) await refreshServingVersion(manager, plugin_id);
      },
    );
  }

  /**
   * A page of plugins by id, after `cursor` (the first without): each with its owner, the version
   * served by default and the one submitted last. At most `limit`, fewer when their JSON would pass
   * the bus's reply budget; only the plugins of the page and their versions' states are read
   * (never their manifests).
   * @throws DomainError `validation_failed` for a cursor this list did not hand out
   */
  async list(q: RequestMap['registry.plugins.list']): Promise<ReplyMap['registry.plugins.list']> {
    const after = q.cursor === undefined ? undefined : decodePageCursor(PLUGINS, q.cursor, 1)[0];
    const manager = this.dataSource.manager;
    const qb = manager
      .createQueryBuilder(Plugin, 'p')
      .where(
        `EXISTS (SELECT 1 FROM ${REGISTRY_SCHEMA}.plugin_versions v WHERE v.plugin_id = p.plugin_id)`,
      )
      .orderBy('p.plugin_id', 'ASC')
      .limit(q.limit + 1);
    if (after !== undefined) qb.andWhere('p.plugin_id > :after', { after });
    const plugins = await qb.getMany();
    // The newest version of each plugin on the page: one row per plugin, however many versions.
    const newest = plugins.length
      ? await manager
          .createQueryBuilder(PluginVersion, 'v')
          .select(['v.pluginId', 'v.version', 'v.name', 'v.status', 'v.updatedAt'])
          .distinctOn(['v.plugin_id'])
          .where('v.plugin_id IN (:...ids)', { ids: plugins.map((p) => p.pluginId) })
          .orderBy('v.plugin_id')
          .addOrderBy('v.submitted_at', 'DESC')
          .getMany()
      : [];
    const summaries = plugins.map((p) => {
      // A plugin row is written with its first version, so there is one.
      const latest = newest.find((r) => r.pluginId === p.pluginId)!;
      return {
        plugin_id: p.pluginId,
        name: latest.name,
        owner: p.owner,
        serving_version: p.servingVersion,
        latest_version: latest.version,
        latest_status: latest.status,
        updated_at: latest.updatedAt.toISOString(),
      };
    });
    const { page, more } = pageWithin(summaries, q.limit, this.limits.replyBudget);
    return {
      plugins: page,
      next_cursor: more ? encodePageCursor(PLUGINS, [page[page.length - 1].plugin_id]) : null,
    };
  }

  /**
   * A plugin with a page of its versions, newest first ({@link pluginVersionsPage}), and the
   * version served by default (kept on the plugin's row, refreshServingVersion).
   * @throws DomainError `not_found` for an unknown plugin, `validation_failed` for a bad cursor
   */
  async getPlugin(
    q: RequestMap['registry.plugins.get'],
  ): Promise<ReplyMap['registry.plugins.get']> {
    const manager = this.dataSource.manager;
    const plugin = await manager.findOneBy(Plugin, { pluginId: q.plugin_id });
    const newest = await manager.findOne(PluginVersion, {
      select: { name: true },
      where: { pluginId: q.plugin_id },
      order: { submittedAt: 'DESC' },
    });
    if (!plugin || !newest) throw new DomainError('not_found', `plugin ${q.plugin_id} is unknown`);
    const page = await pluginVersionsPage(manager, q.plugin_id, q, this.limits.replyBudget);
    return {
      plugin_id: q.plugin_id,
      name: newest.name,
      owner: plugin.owner,
      serving_version: plugin.servingVersion,
      versions: page.rows.map((r) => toState(r, plugin.owner)),
      next_cursor: page.next_cursor,
    };
  }

  async getVersion(pluginId: string, version: string): Promise<VersionState> {
    const manager = this.dataSource.manager;
    const row = await this.find(manager, pluginId, version);
    return toState(row, ownerOf(await this.owners(manager, pluginId), pluginId));
  }

  /**
   * Revokes a version and answers its new state: revoked, and loaded nowhere (as the registry
   * records it on plugin.revoked, which tells every executor to unload it). Throws DomainError
   * `invalid_state` for a version already revoked or rejected.
   */
  async revoke(
    req: RequestMap['registry.versions.revoke'],
    context: MessageContext,
  ): Promise<VersionState> {
    return this.dataSource.transaction(async (manager) => {
      const found = await this.find(manager, req.plugin_id, req.version);
      if (found.status === 'revoked')
        throw new DomainError(
          'invalid_state',
          `${req.plugin_id}@${req.version} is already revoked`,
        );
      // A rejected version never ran and never will; revoking it would rewrite why it stopped.
      if (found.status === 'rejected')
        throw new DomainError(
          'invalid_state',
          `${req.plugin_id}@${req.version} is rejected: it never runs, there is nothing to revoke`,
        );
      const row = await manager.save(Object.assign(found, { status: 'revoked', loadedOn: [] }));
      await refreshServingVersion(manager, row.pluginId);
      await this.outbox.add(
        manager,
        EventSubjects.PluginRevoked,
        {
          plugin_id: row.pluginId,
          version: row.version,
          revoked_by: req.revoked_by,
          actor: req.revoked_by,
          ...(req.reason ? { reason: req.reason } : {}),
        },
        context,
      );
      return toState(row, ownerOf(await this.owners(manager, row.pluginId), row.pluginId));
    });
  }

  /**
   * A revoked signer takes every version it signed with it: each one not yet revoked or
   * rejected is revoked (plugin.revoked: every executor unloads it). Redelivery finds them revoked.
   */
  async revokeSigned(
    event: EventEnvelope<'signer.revoked'>,
    context: MessageContext,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      for (const { plugin_id, version } of event.data.versions) {
        const row = await manager.findOneBy(PluginVersion, { pluginId: plugin_id, version });
        if (!row || row.status === 'revoked' || row.status === 'rejected') continue;
        await manager.save(Object.assign(row, { status: 'revoked', loadedOn: [] }));
        await refreshServingVersion(manager, plugin_id);
        await this.outbox.add(
          manager,
          EventSubjects.PluginRevoked,
          {
            plugin_id,
            version,
            revoked_by: event.data.revoked_by,
            actor: event.data.revoked_by,
            reason: `its signer ${event.data.signer_id} was revoked`,
          },
          context,
        );
      }
    });
  }

  private async owners(manager: EntityManager, pluginId: string): Promise<Map<string, string>> {
    const rows = await manager.find(Plugin, { where: { pluginId } });
    return new Map(rows.map((p) => [p.pluginId, p.owner]));
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

/** Every stored version has its plugin row (same transaction, or the migration's backfill). */
function ownerOf(owners: Map<string, string>, pluginId: string): string {
  const owner = owners.get(pluginId);
  if (owner === undefined) throw new DomainError('internal', `plugin ${pluginId} has no owner`);
  return owner;
}

function toState(r: PluginVersion, owner: string): VersionState {
  const permissions = (r.manifest.permissions ?? {}) as Record<string, unknown>;
  return {
    plugin_id: r.pluginId,
    version: r.version,
    status: r.status,
    trust: r.trust,
    module_sha256: r.moduleSha256,
    sbom: r.sbomSha256 === null ? null : { sha256: r.sbomSha256, size: r.sbomSize ?? 0 },
    permissions,
    findings: r.findings,
    policy_violations: r.policyViolations,
    owner,
    loaded: r.loadedOn.length > 0,
    loaded_on: r.loadedOn,
    load_failure: r.loadFailure,
    submitted_by: r.submittedBy,
    submitted_at: r.submittedAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function loadedOn(current: string[], { instance, loaded }: { instance: string; loaded: boolean }) {
  const others = current.filter((name) => name !== instance);
  return loaded ? [...others, instance] : others;
}
