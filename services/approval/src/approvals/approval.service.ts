import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  EventSubjects,
  type ApprovalItem,
  type ApprovalStatus,
  type EventEnvelope,
  type RequestMap,
  type SignedBy,
  type Trust,
} from '@convergio/contracts';
import { asksForMore, diffPermissions } from '@convergio/manifest';
import { TransactionalOutbox } from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { APPROVAL_SCHEMA, APPROVAL_SERVICE } from '../approval.schema.js';
import { AcceptedSigner } from './accepted-signer.entity.js';
import { Approval } from './approval.entity.js';

const ProcessedEvent = processedEventEntity(APPROVAL_SCHEMA);
/** Who approved a version that needed no admin. */
const AUTO_APPROVER = 'auto';

/**
 * Clears verified versions to load: low-risk ones, and high-risk ones that ask
 * for nothing beyond what the last approved version was granted, automatically;
 * the rest wait for an admin.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
  ) {}

  async onVerified(event: EventEnvelope<'plugin.verified'>): Promise<void> {
    const d = event.data;
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      APPROVAL_SERVICE,
      event.id,
      async (manager) => {
        const existing = await manager.findOneBy(Approval, {
          pluginId: d.plugin_id,
          version: d.version,
        });
        // A rejected version may be submitted again and is reviewed afresh; any other decision stands.
        if (existing && existing.status !== 'rejected') return;
        const previous = await manager.findOne(Approval, {
          where: { pluginId: d.plugin_id, status: 'approved' },
          order: { decidedAt: 'DESC' },
        });
        const diff = diffPermissions(previous?.manifest.permissions ?? {}, d.manifest.permissions);
        const signedBy = d.signed_by ?? null;
        const trust = inheritedTrust(previous, signedBy);
        const needsAdmin =
          (d.high_risk_permissions.length > 0 && (!previous || asksForMore(diff))) ||
          (d.manifest.permissions['proc.exec'] !== undefined && trust === 'untrusted') ||
          (await signerChange(manager, d.plugin_id, signedBy)) !== undefined;
        const approval = manager.create(Approval, {
          pluginId: d.plugin_id,
          version: d.version,
          status: needsAdmin ? 'pending' : 'approved',
          trust,
          signedBy,
          manifest: d.manifest,
          moduleSha256: d.module_sha256,
          highRisk: d.high_risk_permissions,
          permissionDiff: diff,
          previousApprovedVersion: previous?.version ?? null,
          requestedAt: new Date(event.occurred_at),
          decidedAt: needsAdmin ? null : new Date(),
          decidedBy: needsAdmin ? null : AUTO_APPROVER,
          note: null,
        });
        await manager.save(approval);
        if (!needsAdmin) await this.publishApproved(manager, approval);
      },
    );
  }

  /** A revoked version stops being the baseline that later versions are compared with. */
  async onRevoked(event: EventEnvelope<'plugin.revoked'>): Promise<void> {
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      APPROVAL_SERVICE,
      event.id,
      async (manager) => {
        await manager.update(
          Approval,
          { pluginId: event.data.plugin_id, version: event.data.version },
          { status: 'revoked' },
        );
      },
    );
  }

  async list(status: ApprovalStatus): Promise<{ items: ApprovalItem[] }> {
    const rows = await this.dataSource
      .getRepository(Approval)
      .find({ where: { status }, order: { requestedAt: 'ASC' } });
    return { items: rows.map(toItem) };
  }

  /**
   * Approves or rejects a pending version. An approval may designate the version `trusted`, or
   * `official`, up to what its signer vouches for (SPEC.md §1): an unsigned version stays
   * `untrusted`, and one asking for proc.exec cannot be approved untrusted.
   */
  async decide(req: RequestMap['approval.decide']): Promise<ApprovalItem> {
    return this.dataSource.transaction(async (manager) => {
      const approval = await this.findPending(manager, req.plugin_id, req.version);
      if (req.decision === 'approve') {
        checkTrust(approval, req.trust ?? approval.trust);
        const change = await signerChange(manager, approval.pluginId, approval.signedBy);
        if (change) throw change;
      }
      approval.status = req.decision === 'approve' ? 'approved' : 'rejected';
      approval.decidedAt = new Date();
      approval.decidedBy = req.decided_by;
      approval.note = req.note ?? null;
      if (req.trust) approval.trust = req.trust;
      await manager.save(approval);
      if (approval.status === 'approved') await this.publishApproved(manager, approval);
      else
        await this.outbox.add(manager, EventSubjects.PluginRejected, {
          plugin_id: approval.pluginId,
          version: approval.version,
          stage: 'approval',
          reasons: [{ code: 'rejected_by_admin', message: req.note ?? 'rejected by an admin' }],
          rejected_by: req.decided_by,
        });
      return toItem(approval);
    });
  }

  private async findPending(
    manager: EntityManager,
    pluginId: string,
    version: string,
  ): Promise<Approval> {
    const approval = await manager.findOne(Approval, {
      where: { pluginId, version },
      lock: { mode: 'pessimistic_write' },
    });
    if (!approval) throw new DomainError('not_found', `no review for ${pluginId}@${version}`);
    if (approval.status !== 'pending')
      throw new DomainError(
        'invalid_state',
        `${pluginId}@${version} is already ${approval.status}`,
      );
    return approval;
  }

  /** An admin accepted another signer for a plugin id: versions it signs may be approved. */
  async onSignerChanged(event: EventEnvelope<'plugin.signer_changed'>): Promise<void> {
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      APPROVAL_SERVICE,
      event.id,
      async (manager) => {
        await manager.save(AcceptedSigner, {
          pluginId: event.data.plugin_id,
          signerId: event.data.to,
        });
      },
    );
  }

  private async publishApproved(manager: EntityManager, a: Approval): Promise<void> {
    if (a.signedBy)
      await manager.save(AcceptedSigner, {
        pluginId: a.pluginId,
        signerId: a.signedBy.signer_id,
      });
    await this.outbox.add(manager, EventSubjects.PluginApproved, {
      plugin_id: a.pluginId,
      version: a.version,
      manifest: a.manifest,
      module_sha256: a.moduleSha256,
      trust: a.trust,
      approved_by: a.decidedBy ?? AUTO_APPROVER,
      ...(a.note ? { note: a.note } : {}),
    });
  }
}

const TRUST_RANK: Record<Trust, number> = { untrusted: 0, trusted: 1, official: 2 };

/**
 * The trust a new version starts with: that of the last approved version when the same signer
 * signed both (key continuity keeps it so), else untrusted until an admin designates it.
 */
function inheritedTrust(previous: Approval | null, signedBy: SignedBy | null): Trust {
  if (!previous || !signedBy || previous.signedBy?.signer_id !== signedBy.signer_id)
    return 'untrusted';
  return TRUST_RANK[previous.trust] <= TRUST_RANK[signedBy.trust] ? previous.trust : signedBy.trust;
}

/**
 * Key continuity at approval (verification checks it too, but a version verified before the
 * plugin id's first signed approval escapes that check): `signer_changed` when the plugin id's
 * accepted signer did not sign this version; undefined when it did, or none is set.
 */
async function signerChange(
  manager: EntityManager,
  pluginId: string,
  signedBy: SignedBy | null,
): Promise<DomainError | undefined> {
  const accepted = await manager.findOneBy(AcceptedSigner, { pluginId });
  if (!accepted?.signerId || accepted.signerId === signedBy?.signer_id) return undefined;
  const message =
    `${pluginId}'s approved versions are signed by ${accepted.signerId}, this one ` +
    `${signedBy ? `by ${signedBy.signer_id}` : 'is unsigned'}; accept the new signer first with ` +
    `PUT /v1/plugins/${pluginId}/signer, or reject this version`;
  return new DomainError('validation_failed', message, [
    { code: 'signer_changed', message, path: '/signing/signer_id' },
  ]);
}

function checkTrust(approval: Approval, trust: Trust): void {
  const ceiling = approval.signedBy?.trust ?? 'untrusted';
  if (TRUST_RANK[trust] > TRUST_RANK[ceiling])
    throw new DomainError(
      'validation_failed',
      approval.signedBy
        ? `signer ${approval.signedBy.signer_id} vouches for "${ceiling}" at most, not "${trust}"`
        : `trust "${trust}" needs a version signed by a keyring signer; ${approval.pluginId}@${approval.version} is unsigned`,
      [{ code: 'trust_not_allowed', message: `at most "${ceiling}"`, path: '/trust' }],
    );
  if (approval.manifest.permissions['proc.exec'] && trust === 'untrusted')
    throw new DomainError(
      'validation_failed',
      'proc.exec is never granted to untrusted plugins: approve with {"trust": "trusted"}',
      [{ code: 'proc_exec_untrusted', message: 'designate the version trusted', path: '/trust' }],
    );
}

function toItem(a: Approval): ApprovalItem {
  return {
    plugin_id: a.pluginId,
    version: a.version,
    status: a.status,
    trust: a.trust,
    signed_by: a.signedBy,
    high_risk_permissions: a.highRisk,
    permissions: a.manifest.permissions,
    permission_diff: a.permissionDiff,
    previous_approved_version: a.previousApprovedVersion,
    requested_at: a.requestedAt.toISOString(),
    decided_by: a.decidedBy,
    note: a.note,
  };
}
