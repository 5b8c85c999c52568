import { DomainError, type EventEnvelope, type Manifest, type Trust } from '@convergio/contracts';
import { approvedPreReleases, servingVersion } from '@convergio/manifest';
import { canMoveVersion, type VersionRecordStatus } from './version-record-status.js';

/** What the executor knows of one plugin version: whether it may run, and what it declared. */
export interface VersionRecord {
  pluginId: string;
  version: string;
  status: VersionRecordStatus;
  manifest: Manifest | null;
  moduleSha256: string;
  trust: Trust | null;
  approvedAt: Date | null;
  /**
   * Who submitted the version (see {@link submitterOf}): what its loaded slots are charged to
   * (ADR 0021). Null for records kept before it was (the plugin id then stands for it).
   */
  publisher: string | null;
}

/** An approved version: its manifest is known, so it can be loaded and called. */
export type RunnableRecord = VersionRecord & { manifest: Manifest };

/** What a lifecycle event says about a version. */
export interface VersionChange {
  status: VersionRecordStatus;
  moduleSha256?: string;
  publisher?: string;
  manifest?: Manifest;
  trust?: Trust;
}

/** The lifecycle events that change a version's record. */
export const LIFECYCLE_SUBJECTS = [
  'plugin.submitted',
  'plugin.rejected',
  'plugin.approved',
  'plugin.revoked',
] as const;

/**
 * The publisher a submission was made for; for a key from before publishers, `key:<key id>`,
 * the owner the registry gives the ids such keys claimed (ADR 0004).
 */
function submitterOf(d: EventEnvelope<'plugin.submitted'>['data']): string {
  return d.publisher ?? `key:${d.submitted_by}`;
}

/** What a lifecycle event changes; undefined for any other event. */
export function changeOf(e: EventEnvelope): VersionChange | undefined {
  if (e.type === 'plugin.submitted') {
    const d = e.data as EventEnvelope<'plugin.submitted'>['data'];
    return { status: 'pending', moduleSha256: d.module_sha256, publisher: submitterOf(d) };
  }
  if (e.type === 'plugin.approved') {
    const d = e.data as EventEnvelope<'plugin.approved'>['data'];
    return {
      status: 'approved',
      moduleSha256: d.module_sha256,
      manifest: d.manifest,
      trust: d.trust,
    };
  }
  if (e.type === 'plugin.rejected') return { status: 'rejected' };
  if (e.type === 'plugin.revoked') return { status: 'revoked' };
  return undefined;
}

/**
 * The record after `change` (made at `occurredAt`, ISO 8601), or undefined when its status may
 * not move there (a redelivered or stale event).
 */
export function applyChange(
  existing: VersionRecord | undefined,
  ref: { pluginId: string; version: string },
  change: VersionChange,
  occurredAt: string,
): VersionRecord | undefined {
  if (existing && !canMoveVersion(existing.status, change.status)) return undefined;
  const next: VersionRecord = existing
    ? { ...existing }
    : {
        ...ref,
        status: change.status,
        manifest: null,
        trust: null,
        approvedAt: null,
        moduleSha256: '',
        publisher: null,
      };
  if (change.status === 'pending')
    // A rejected version submitted again: nothing of the earlier submission carries over.
    Object.assign(next, { manifest: null, trust: null, approvedAt: null });
  next.status = change.status;
  if (change.moduleSha256) next.moduleSha256 = change.moduleSha256;
  if (change.publisher) next.publisher = change.publisher;
  if (change.manifest) next.manifest = change.manifest;
  if (change.trust) next.trust = change.trust;
  if (change.status === 'approved') next.approvedAt = new Date(occurredAt);
  return next;
}

/**
 * The version a call runs among one plugin's records: the one asked for, or the one served by
 * default (the highest approved release, `servingVersion`). Throws DomainError `not_found` for an
 * unknown plugin or version, `invalid_state` for one that is not approved.
 */
export function pickRunnable(
  pluginId: string,
  records: readonly VersionRecord[],
  version?: string,
): RunnableRecord {
  if (records.length === 0) throw new DomainError('not_found', `plugin ${pluginId} is unknown`);
  const wanted = version ?? servingVersion(records);
  if (!wanted) throw noDefaultVersion(pluginId, records);
  const record = records.find((r) => r.version === wanted);
  if (!record) throw new DomainError('not_found', `${pluginId}@${wanted} is unknown`);
  if (record.status !== 'approved' || !record.manifest)
    throw new DomainError(
      'invalid_state',
      `${pluginId}@${record.version} ${NOT_RUNNABLE[record.status]}; only approved versions run`,
    );
  return record as RunnableRecord;
}

/** The most approved pre-releases a refusal lists. */
const MAX_LISTED = 5;

/**
 * Why a call that names no version runs none: no approved release. It names the approved
 * pre-releases a call could name instead, and only those; when there are none, that nothing
 * of the plugin is approved.
 */
function noDefaultVersion(pluginId: string, records: readonly VersionRecord[]): DomainError {
  const preReleases = approvedPreReleases(records);
  if (preReleases.length === 0)
    return new DomainError(
      'invalid_state',
      `${pluginId} has no approved version, and only approved versions run (GET /v1/plugins/${pluginId} shows where each stands)`,
    );
  const listed = preReleases.slice(0, MAX_LISTED).join(', ');
  const more = preReleases.length > MAX_LISTED ? ', ...' : '';
  return new DomainError(
    'invalid_state',
    `${pluginId} has no approved release to run by default; its approved pre-releases run when a call names one, e.g. "version": "${preReleases[0]}" (approved pre-releases: ${listed}${more})`,
  );
}

// In the registry's words (a version is submitted, verified, then approved or pending_approval).
const NOT_RUNNABLE: Record<VersionRecordStatus, string> = {
  pending: 'is not approved yet (it is being verified, or waits for an admin)',
  approved: 'is approved',
  rejected: 'was rejected',
  revoked: 'was revoked',
};
