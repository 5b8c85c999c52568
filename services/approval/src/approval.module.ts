import { Module } from '@nestjs/common';
import { MessagingModule, outboxProviders } from '@convergio/messaging';
import { ApprovalHandler } from './approvals/approval.handler.js';
import { ApprovalService } from './approvals/approval.service.js';
import { APPROVAL_SCHEMA, APPROVAL_SERVICE } from './approval.schema.js';

@Module({
  imports: [MessagingModule.forService(APPROVAL_SERVICE)],
  controllers: [ApprovalHandler],
  providers: [ApprovalService, ...outboxProviders(APPROVAL_SCHEMA)],
})
export class ApprovalModule {}
