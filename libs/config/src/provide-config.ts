import type { FactoryProvider, InjectionToken } from '@nestjs/common';
import type { Static, TObject } from '@sinclair/typebox';
import { loadConfig } from './load-config.js';

/**
 * Nest provider that validates the environment once at boot and exposes the typed config under `token`,
 * so a service declares `@Inject(token) config: Static<typeof schema>`.
 */
export function provideConfig<S extends TObject>(
  token: InjectionToken,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): FactoryProvider<Static<S>> {
  return { provide: token, useFactory: () => loadConfig(schema, env) };
}
