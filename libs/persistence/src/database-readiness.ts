import type { DataSource } from 'typeorm';

/** Whether the database answers `SELECT 1` within `timeoutMs`; for readiness probes, never throws. */
export async function isDatabaseReady(dataSource: DataSource, timeoutMs = 1000): Promise<boolean> {
  if (!dataSource.isInitialized) return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = dataSource.query('SELECT 1').then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
