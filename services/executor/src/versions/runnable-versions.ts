import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventEnvelope } from '@convergio/contracts';
import { servingVersion } from '@convergio/manifest';
import { BusClient } from '@convergio/messaging';
import { VersionRecordRow } from './version-record.entity.js';
import {
  applyChange,
  changeOf,
  LIFECYCLE_SUBJECTS,
  pickRunnable,
  type RunnableRecord,
  type VersionRecord,
} from './version-record.js';

/** Called on this replica when a version it may have loaded can no longer run. */
export type RevokedListener = (pluginId: string, version: string) => void;

/**
 * Every plugin version's record, in memory, so the invoke path reads no table. Built at start
 * from the executor's table, then kept current by watching the lifecycle events on every
 * replica (the table is written by whichever replica's consumer handles an event; a watch sees
 * every event on each replica, in order, as soon as it is published).
 */
@Injectable()
export class RunnableVersions implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(RunnableVersions.name);
  private readonly byPlugin = new Map<string, Map<string, VersionRecord>>();
  /**
   * Per known plugin, its records as a list and the version it serves by default: worked out on
   * the first call after a change of its records, not on every call (semver parses each version).
   */
  private readonly views = new Map<string, { records: VersionRecord[]; serving: string | null }>();
  private readonly revokedListeners: RevokedListener[] = [];
  private stopWatch?: () => Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: BusClient,
  ) {}

  /** Watches first, then reads the table, then replays what the watch saw meanwhile. */
  async onModuleInit(): Promise<void> {
    let buffered: EventEnvelope[] | null = [];
    this.stopWatch = await this.bus.watch(LIFECYCLE_SUBJECTS, (e) =>
      buffered ? buffered.push(e) : this.apply(e),
    );
    for (const row of await this.dataSource.getRepository(VersionRecordRow).find())
      this.put({
        pluginId: row.pluginId,
        version: row.version,
        status: row.status,
        manifest: row.manifest,
        moduleSha256: row.moduleSha256,
        trust: row.trust,
        approvedAt: row.approvedAt,
        publisher: row.publisher,
      });
    const seen = buffered;
    buffered = null;
    for (const e of seen) this.apply(e);
  }

  async onModuleDestroy(): Promise<void> {
    await this.stopWatch?.();
  }

  /** See {@link pickRunnable}: the version a call runs; throws not_found or invalid_state. */
  runnable(pluginId: string, version?: string): RunnableRecord {
    const versions = this.byPlugin.get(pluginId);
    // Unknown ids are not remembered: callers choose them.
    if (!versions) return pickRunnable(pluginId, [], version);
    const view = this.viewOf(pluginId, versions);
    return pickRunnable(pluginId, view.records, version ?? view.serving ?? undefined);
  }

  /**
   * Whether `version` is approved but runs only when a call names it: calls naming no version run
   * another (it was superseded by a higher approved release, or it is a pre-release).
   */
  runsOnlyWhenNamed(pluginId: string, version: string): boolean {
    const versions = this.byPlugin.get(pluginId);
    return (
      versions?.get(version)?.status === 'approved' &&
      this.viewOf(pluginId, versions).serving !== version
    );
  }

  private viewOf(pluginId: string, versions: Map<string, VersionRecord>) {
    let view = this.views.get(pluginId);
    if (!view) {
      const records = [...versions.values()];
      view = { records, serving: servingVersion(records) };
      this.views.set(pluginId, view);
    }
    return view;
  }

  /** Every approved version, by plugin id. */
  approved(): RunnableRecord[] {
    return [...this.byPlugin.values()].flatMap((versions) =>
      [...versions.values()].filter((r): r is RunnableRecord => r.status === 'approved'),
    );
  }

  /** Calls `listener` whenever a version is revoked, on this replica. */
  onRevoked(listener: RevokedListener): void {
    this.revokedListeners.push(listener);
  }

  /** Applies a lifecycle event (from the watch, or from this replica's own consumer). */
  apply(e: EventEnvelope): void {
    const change = changeOf(e);
    if (!change) return;
    const { plugin_id: pluginId, version } = e.data as { plugin_id: string; version: string };
    const next = applyChange(
      this.byPlugin.get(pluginId)?.get(version),
      { pluginId, version },
      change,
      e.occurred_at,
    );
    if (!next) return;
    this.put(next);
    if (next.status === 'revoked')
      for (const listener of this.revokedListeners) {
        try {
          listener(pluginId, version);
        } catch (error) {
          this.log.error(`revocation of ${pluginId}@${version}: ${String(error)}`);
        }
      }
  }

  private put(record: VersionRecord): void {
    let versions = this.byPlugin.get(record.pluginId);
    if (!versions)
      this.byPlugin.set(record.pluginId, (versions = new Map<string, VersionRecord>()));
    versions.set(record.version, record);
    this.views.delete(record.pluginId);
  }
}
