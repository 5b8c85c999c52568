import {
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
  /** Connection attempts at boot before giving up (default 10). */
  retryAttempts?: number;
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
              retryDelay: resolved.retryDelayMs,
            };
          },
          dataSourceFactory: async (dataSourceOptions) => {
            const options = dataSourceOptions as DataSourceOptions & { migrationStep?: string };
            const { migrationStep, ...working } = options;
            const dataSource = await new DataSource(working).initialize();
            if (migrationStep) await assertMigrated(dataSource, migrationStep);
            else await runMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
    };
  }
}
