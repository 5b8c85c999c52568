import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';

/**
 * Bytes (as JSON) of the results the queries of `dataSource` return while `work` runs, what a
 * service reads from its database: in all (`total`) and of the largest (`largest`).
 */
export async function bytesReadBy(
  dataSource: DataSource,
  work: () => Promise<unknown>,
): Promise<{ total: number; largest: number }> {
  let total = 0;
  let largest = 0;
  const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
  const spy = jest.spyOn(dataSource, 'createQueryRunner').mockImplementation((mode) => {
    const runner = createQueryRunner(mode);
    const run = runner.query.bind(runner);
    runner.query = async (...args: Parameters<typeof run>) => {
      const result: unknown = await run(...args);
      const rows = Array.isArray(result) ? result : (result as { records: unknown[] }).records;
      const bytes = Buffer.byteLength(JSON.stringify(rows));
      total += bytes;
      largest = Math.max(largest, bytes);
      return result as never;
    };
    return runner;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return { total, largest };
}
