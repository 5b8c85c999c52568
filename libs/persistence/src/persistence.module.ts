import {
  Logger,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { createDataSourceOptions, type PersistenceOptions } from './data-source-options.js';
import { assertMigrated } from './pending-migrations.js';
import { runMigrations } from './run-migrations.js';

/** Options of `PersistenceModule`: where the tables are, plus how long to retry the first connection. */
export interface PersistenceModuleOptions extends PersistenceOptions {
  /**
   * Absent (the default): apply pending migrations at boot. Otherwise the login may not alter
   * the schema: only check that they are applied, and fail naming this deploy step if not.
   */
  migrationStep?: string;
  /** Attempts at boot to connect and find the schema migrated, before giving up (default 10). */
  retryAttempts?: number;
  /** Pause between two attempts, ms (default 3000). */
  retryDelayMs?: number;
}

/** Options of `PersistenceModule.forRootAsync`, for URLs known only at boot (config, embedded server). */
export interface PersistenceModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: never[]) => PersistenceModuleOptions | Promise<PersistenceModuleOptions>;
}

/**
 * Provides the `DataSource` (and `TypeOrmModule.forFeature` repositories): connects at boot,
 * then creates the schema and applies pending migrations before any service can use it (or,
 * with `migrationStep`, checks that a deploy step applied them).
 */
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceModuleOptions): DynamicModule {
    return PersistenceModule.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync(options: PersistenceModuleAsyncOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          imports: options.imports,
          inject: options.inject,
          useFactory: async (...args: unknown[]) => {
            const resolved = await options.useFactory(...(args as never[]));
            return {
              ...createDataSourceOptions(resolved),
              migrationStep: resolved.migrationStep,
              retryAttempts: resolved.retryAttempts,
              retryDelayMs: resolved.retryDelayMs,
              // The attempts are made, and logged, by openWithRetries below: TypeOrmModule's own
              // retries would log each with its stack.
              toRetry: () => false,
            };
          },
          dataSourceFactory: (dataSourceOptions) =>
            openWithRetries(dataSourceOptions as DataSourceOptions & PersistenceModuleOptions),
        }),
      ],
    };
  }
}

const log = new Logger(PersistenceModule.name);

/**
 * Connects, then migrates (or checks, with `migrationStep`, that the schema is migrated), trying
 * again after `retryDelayMs` up to `retryAttempts` times: each failed attempt but the last is
 * one warning line giving the reason (an unmigrated schema's names the deploy step to run);
 * the last one's error is thrown.
 */
async function openWithRetries(
  options: DataSourceOptions & PersistenceModuleOptions,
): Promise<DataSource> {
  const { migrationStep, retryAttempts = 10, retryDelayMs = 3000, ...working } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open(working, migrationStep);
    } catch (error) {
      if (attempt >= retryAttempts) throw error;
      log.warn(
        `the database is not ready (attempt ${attempt} of ${retryAttempts}, next in ${retryDelayMs / 1000} s): ${reasonOf(error)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }
}

/** One attempt: a DataSource connected and migrated, or none left open. */
async function open(options: DataSourceOptions, migrationStep: string | undefined) {
  const dataSource = await new DataSource(options).initialize();
  try {
    if (migrationStep) await assertMigrated(dataSource, migrationStep);
    else await runMigrations(dataSource);
    return dataSource;
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
}

/** An error's message on one line (each address's of a connection refused on all of them). */
function reasonOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(reasonOf).join('; ');
  const text = error instanceof Error && error.message ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ');
}
