import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { AuditConfig } from './config/audit.config.js';
import { auditPersistence, AuditModule } from './index.js';

await runService('audit', AuditConfig, () => ({
  feature: AuditModule,
  persistence: auditPersistence,
}));
