import type { DataSource, EntityManager } from 'typeorm';
import type { ProcessedEventEntity } from './processed-event.entity.js';
import { quoteSchemaName } from './schema-name.js';

/** Outcome of `handleOnce`: either the work's result, or a note that the event was already handled. */
export type HandleOnceResult<T> = { duplicate: true } | { duplicate: false; result: T };

/**
 * Runs `work` at most once per (consumer, eventId): the marker row and the work's writes commit in one
 * transaction, so a redelivered event is skipped and a failed one leaves nothing behind to block a retry.
 * `work` must write through the given manager to be part of that transaction.
 */
export async function handleOnce<T>(
  dataSource: DataSource,
  entity: ProcessedEventEntity,
  consumer: string,
  eventId: string,
  work: (manager: EntityManager) => Promise<T>,
): Promise<HandleOnceResult<T>> {
  const metadata = dataSource.getMetadata(entity);
  const table = `${quoteSchemaName(metadata.schema ?? 'public')}."${metadata.tableName}"`;
  return dataSource.transaction(async (manager) => {
    // ON CONFLICT waits for a concurrent inserter of the same key, so two replicas cannot both proceed.
    const inserted: unknown[] = await manager.query(
      `INSERT INTO ${table} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
      [consumer, eventId],
    );
    if (inserted.length === 0) return { duplicate: true };
    return { duplicate: false, result: await work(manager) };
  });
}
