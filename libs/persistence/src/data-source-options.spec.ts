import { createDataSourceOptions } from './data-source-options.js';

describe('createDataSourceOptions', () => {
  const base = { url: 'postgres://postgres@127.0.0.1:5432/app', entities: [], migrations: [] };

  it('never synchronizes and keeps the migration history inside the service schema', () => {
    expect(createDataSourceOptions({ ...base, schema: 'registry', poolSize: 1 })).toMatchObject({
      type: 'postgres',
      schema: 'registry',
      migrationsTableName: 'migrations',
      migrationsRun: false,
      synchronize: false,
      poolSize: 1,
    });
  });

  it.each(['Registry', 'audit; DROP TABLE x', '"quoted"', '1st', ''])(
    'refuses schema name %j',
    (schema) => {
      expect(() => createDataSourceOptions({ ...base, schema })).toThrow('invalid schema name');
    },
  );
});
