import 'reflect-metadata';
import { DEFAULT_PLUGIN_FILES_DIR, loadPlatformGrants, runService } from '@convergio/runtime';
import { ExecutorConfig, executorSettings } from './config/executor.config.js';
import { executorPersistence, ExecutorModule } from './index.js';

await runService('executor', ExecutorConfig, (env) => ({
  feature: ExecutorModule.register(
    executorSettings(
      env,
      loadPlatformGrants({
        policyFile: env.GRANT_POLICY_FILE,
        pluginFilesDir: env.PLUGIN_FILES_DIR ?? DEFAULT_PLUGIN_FILES_DIR,
        dataDirs: [env.ARTIFACT_DIR],
      }),
    ),
  ),
  persistence: executorPersistence,
}));
