import { processedEventEntity } from '@convergio/persistence';
import { AcceptedSigner } from './approvals/accepted-signer.entity.js';
import { Approval } from './approvals/approval.entity.js';
import { ApprovalInit1764300000000 } from './migrations/1764300000000-approval-init.js';
import { ApprovalSignedBy1764900000000 } from './migrations/1764900000000-approval-signed-by.js';
import { ApprovalSeparationOfDuties1765100000000 } from './migrations/1765100000000-approval-separation-of-duties.js';
import { ApprovalRevokedVersions1766200000000 } from './migrations/1766200000000-approval-revoked-versions.js';
import { ApprovalOutbox1765100000000 } from './migrations/1765100000000-approval-outbox.js';
import { ApprovalOutboxDeadLetters1766600000000 } from './migrations/1766600000000-approval-outbox-dead-letters.js';
import { ApprovalSubmittedByIssuer1766300000000 } from './migrations/1766300000000-approval-submitted-by-issuer.js';
import { APPROVAL_SCHEMA } from './approval.schema.js';

export { ApprovalModule } from './approval.module.js';
export { ApprovalEnv, approvalSettings } from './config/approval.config.js';
/** Tables and migrations of the approval service. */
export const approvalPersistence = {
  schema: APPROVAL_SCHEMA,
  entities: [Approval, AcceptedSigner, processedEventEntity(APPROVAL_SCHEMA)],
  migrations: [
    ApprovalInit1764300000000,
    ApprovalSignedBy1764900000000,
    ApprovalSeparationOfDuties1765100000000,
    ApprovalRevokedVersions1766200000000,
    ApprovalOutbox1765100000000,
    ApprovalSubmittedByIssuer1766300000000,
    ApprovalOutboxDeadLetters1766600000000,
  ],
};
