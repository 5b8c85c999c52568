import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { asksForMore, diffPermissions } from '@convergio/manifest';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { handleOnce, processedEventEntity } from '@convergio/persistence';
import { APPROVAL_SCHEMA, APPROVAL_SERVICE } from '../approval.schema.js';
import { AcceptedSigner } from './accepted-signer.entity.js';
import { Approval } from './approval.entity.js';
import { signerChange } from './key-continuity.js';
import { recordRevocation, wasRevoked } from './revoked-versions.js';
import { inheritedTrust } from './trust.js';

const ProcessedEvent = processedEventEntity(APPROVAL_SCHEMA);
/** Who approved a version that needed no admin. */
const AUTO_APPROVER = 'auto';

/**
 * Clears verified versions to load: low-risk ones that ask for nothing beyond what the last
 * approved version was granted (or are the plugin's first), automatically; every high-risk
 * version and every signer change waits for an admin.
 */
@Injectable()
export class ApprovalService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
  ) {}

  async onVerified(
    event: EventEnvelope<'plugin.verified'>,
    context: MessageContext,
  ): Promise<void> {
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
        // Revoked while it was being verified: recorded as revoked, never approved.
        const revoked = await wasRevoked(manager, d.plugin_id, d.version);
        const previous = await manager.findOne(Approval, {
          where: { pluginId: d.plugin_id, status: 'approved' },
          order: { decidedAt: 'DESC' },
        });
        const diff = diffPermissions(previous?.manifest.permissions ?? {}, d.manifest.permissions);
        const signedBy = d.signed_by ?? null;
        const trust = inheritedTrust(previous, signedBy);
        // Every high-risk version waits (docs/plugin-author-guide.md), even one asking for what its predecessor
        // was granted: its code is new, and an admin who issued the submitting key must not be
        // able to ship it unreviewed. A low-risk upgrade waits when it asks for more.
        const needsAdmin =
          d.high_risk_permissions.length > 0 ||
          (previous !== null && asksForMore(diff)) ||
          (await signerChange(manager, d.plugin_id, signedBy)) !== undefined;
        const approval = manager.create(Approval, {
          pluginId: d.plugin_id,
          version: d.version,
          status: revoked ? 'revoked' : needsAdmin ? 'pending' : 'approved',
          trust,
          signedBy,
          manifest: d.manifest,
          moduleSha256: d.module_sha256,
          highRisk: d.high_risk_permissions,
          permissionDiff: diff,
          previousApprovedVersion: previous?.version ?? null,
          requestedAt: new Date(event.occurred_at),
          decidedAt: revoked || needsAdmin ? null : new Date(),
          decidedBy: revoked || needsAdmin ? null : AUTO_APPROVER,
          note: null,
          submittedBy: d.submitted_by,
          submittedByIssuer: d.submitted_by_issuer ?? null,
          publisher: d.publisher ?? null,
          findings: d.findings,
          approvals: [],
        });
        await manager.save(approval);
        if (revoked) return;
        if (!needsAdmin) await this.publishApproved(manager, approval, context);
        else
          await this.outbox.add(
            manager,
            EventSubjects.ApprovalRequested,
            {
              plugin_id: approval.pluginId,
              version: approval.version,
              high_risk_permissions: approval.highRisk,
            },
            context,
          );
      },
    );
  }

  /**
   * A revoked version stops being the baseline that later versions are compared with, and can no
   * longer be approved; one not reviewed yet never will be.
   */
  async onRevoked(event: EventEnvelope<'plugin.revoked'>): Promise<void> {
    await handleOnce(
      this.dataSource,
      ProcessedEvent,
      APPROVAL_SERVICE,
      event.id,
      async (manager) => {
        await recordRevocation(manager, event.data.plugin_id, event.data.version);
        await manager.update(
          Approval,
          { pluginId: event.data.plugin_id, version: event.data.version },
          { status: 'revoked' },
        );
      },
    );
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

  /** Announces an approved version (and accepts its signer for the plugin id's next versions). */
  async publishApproved(
    manager: EntityManager,
    a: Approval,
    context: MessageContext,
  ): Promise<void> {
    if (a.signedBy)
      await manager.save(AcceptedSigner, {
        pluginId: a.pluginId,
        signerId: a.signedBy.signer_id,
      });
    await this.outbox.add(
      manager,
      EventSubjects.PluginApproved,
      {
        plugin_id: a.pluginId,
        version: a.version,
        manifest: a.manifest,
        module_sha256: a.moduleSha256,
        trust: a.trust,
        approved_by: a.decidedBy ?? AUTO_APPROVER,
        actor: a.decidedBy && a.decidedBy !== AUTO_APPROVER ? a.decidedBy : APPROVAL_SERVICE,
        ...(a.approvals.length > 0 && { approvers: a.approvals.map((r) => r.actor) }),
        ...(a.note ? { note: a.note } : {}),
      },
      context,
    );
  }
}
