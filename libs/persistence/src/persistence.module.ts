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
import { runMigrations } from './run-migrations.js';

/** Options of `PersistenceModule`: where the tables are, plus how long to retry the first connection. */
export interface PersistenceModuleOptions extends PersistenceOptions {
  /** Connection attempts at boot before giving up (default 10). */
  retryAttempts?: number;
  retryDelayMs?: number;
}

/** Options of `PersistenceModule.forRootAsync`, for URLs known only at boot (config, embedded server). */
export interface PersistenceModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: never[]) => PersistenceModuleOptions | Promise<PersistenceModuleOptions>;
}

/** Applies pending migrations through a short-lived connection of the schema's owner. */
async function migrateAs(url: string, options: DataSourceOptions): Promise<void> {
  const owner = await new DataSource({
    ...options,
    url,
    poolSize: 1,
  } as DataSourceOptions).initialize();
  try {
    await runMigrations(owner);
  } finally {
    await owner.destroy();
  }
}

/**
 * Provides the `DataSource` (and `TypeOrmModule.forFeature` repositories): connects at boot,
 * then creates the schema and applies pending migrations before any service can use it, as
 * the owner login of `migrationUrl` when there is one.
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
              migrationUrl: resolved.migrationUrl,
              retryAttempts: resolved.retryAttempts,
              retryDelay: resolved.retryDelayMs,
            };
          },
          dataSourceFactory: async (dataSourceOptions) => {
            const options = dataSourceOptions as DataSourceOptions & { migrationUrl?: string };
            const { migrationUrl, ...working } = options;
            if (migrationUrl) await migrateAs(migrationUrl, working);
            const dataSource = await new DataSource(working).initialize();
            if (!migrationUrl) await runMigrations(dataSource);
            return dataSource;
          },
        }),
      ],
    };
  }
}
