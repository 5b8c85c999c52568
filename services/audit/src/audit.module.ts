import { Module } from '@nestjs/common';
import { MessagingModule } from '@convergio/messaging';
import { AuditHandler } from './events/audit.handler.js';
import { AuditService } from './events/audit.service.js';
import { AUDIT_SERVICE } from './audit.schema.js';

@Module({
  imports: [MessagingModule.forService(AUDIT_SERVICE)],
  controllers: [AuditHandler],
  providers: [AuditService],
})
export class AuditModule {}
