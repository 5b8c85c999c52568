import pg from 'pg';
import { createTestDatabase } from './test-database.js';

describe('createTestDatabase', () => {
  it('creates an empty database that can be used and is gone after drop()', async () => {
    const database = await createTestDatabase();

    await expect(currentDatabase(database.url)).resolves.toBe(database.name);
    await database.drop();
    await expect(currentDatabase(database.url)).rejects.toThrow(
      `database "${database.name}" does not exist`,
    );
  });
});

async function currentDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
    return rows[0].name;
  } finally {
    await client.end();
  }
}
