import 'reflect-metadata';
import {
  DEFAULT_PLUGIN_FILES_DIR,
  inputSchemaBoundsOf,
  loadPlatformGrants,
  runService,
} from '@convergio/runtime';
import { VerificationConfig } from './config/verification.config.js';
import {
  releaseKeyOf,
  sbomPolicyOf,
  verificationPersistence,
  VerificationModule,
} from './index.js';

await runService('verification', VerificationConfig, async (env) => ({
  feature: VerificationModule.register({
    coreVersion: env.CORE_VERSION,
    grants: loadPlatformGrants({
      policyFile: env.GRANT_POLICY_FILE,
      pluginFilesDir: env.PLUGIN_FILES_DIR ?? DEFAULT_PLUGIN_FILES_DIR,
      dataDirs: [env.ARTIFACT_DIR],
    }),
    releaseKey: releaseKeyOf(env),
    sbom: await sbomPolicyOf(env),
    inputSchemaBounds: inputSchemaBoundsOf(env),
  }),
  persistence: verificationPersistence,
}));
