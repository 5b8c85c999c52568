import { createServer, type Server } from 'node:net';
import { createTestDatabase } from '@convergio/testing';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from './data-source-options.js';
import { isDatabaseReady } from './database-readiness.js';

describe('isDatabaseReady', () => {
  const optionsFor = (url: string) =>
    createDataSourceOptions({ url, schema: 'public', entities: [], migrations: [] });

  it('is true for a reachable database and false once the DataSource is closed', async () => {
    const database = await createTestDatabase();
    const dataSource = await new DataSource(optionsFor(database.url)).initialize();
    try {
      expect(await isDatabaseReady(dataSource)).toBe(true);
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
    expect(await isDatabaseReady(dataSource)).toBe(false);
  });

  it('is false, within the timeout, when the server accepts connections but never answers', async () => {
    const { server, port } = await silentServer();
    const dataSource = new DataSource(optionsFor(`postgres://postgres@127.0.0.1:${port}/db`));
    // Pretend initialization succeeded earlier and the server went silent afterwards.
    Object.defineProperty(dataSource, 'isInitialized', { value: true });
    try {
      const started = Date.now();
      expect(await isDatabaseReady(dataSource, 200)).toBe(false);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      server.close();
    }
  });
});

async function silentServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return { server, port: address.port };
}
