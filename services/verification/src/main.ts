import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { VerificationConfig } from './config/verification.config.js';
import { verificationPersistence, VerificationModule } from './index.js';

await runService('verification', VerificationConfig, (env) => ({
  feature: VerificationModule.register({ coreVersion: env.CORE_VERSION }),
  persistence: verificationPersistence,
}));
