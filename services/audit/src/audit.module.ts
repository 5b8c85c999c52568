import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@convergio/messaging';
import { ChainVerifyService } from './chain/chain-verify.service.js';
import { AuditHandler } from './events/audit.handler.js';
import {
  AUDIT_INGEST_SETTINGS,
  AuditWriter,
  DEFAULT_AUDIT_INGEST,
  type AuditIngestSettings,
} from './events/audit-writer.js';
import { AuditQueryService } from './query/audit-query.service.js';
import {
  AUDIT_LOGIN_POLICY,
  AuditLoginCheck,
  type AuditLoginPolicy,
} from './events/audit-login-check.js';
import { AUDIT_SERVICE } from './audit.schema.js';

/**
 * The audit service: import it as it is (standalone mode: default batching, and the embedded
 * database's one login) or through `register` (distributed mode).
 */
@Module({
  imports: [MessagingModule.forService(AUDIT_SERVICE)],
  controllers: [AuditHandler],
  providers: [
    AuditWriter,
    AuditQueryService,
    ChainVerifyService,
    { provide: AUDIT_INGEST_SETTINGS, useValue: DEFAULT_AUDIT_INGEST },
  ],
})
export class AuditModule {
  /**
   * The audit service with its own ingest batch size, which refuses to start on a database login
   * that could change its log (`AuditLoginCheck`) unless `allowOwnerLogin`.
   */
  static register(settings: AuditIngestSettings & AuditLoginPolicy): DynamicModule {
    return {
      module: AuditModule,
      providers: [
        { provide: AUDIT_INGEST_SETTINGS, useValue: { maxBatch: settings.maxBatch } },
        { provide: AUDIT_LOGIN_POLICY, useValue: { allowOwnerLogin: settings.allowOwnerLogin } },
        AuditLoginCheck,
      ],
    };
  }
}
