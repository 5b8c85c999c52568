import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EventEnvelope } from '@convergio/contracts';
import { asAuditRole } from './as-audit-role.js';
import { prepareRecord, type PreparedRecord } from './audit-row.js';
import { appendToChain, isDataError, type AppendMode } from './chain-append.js';

/** How the audit service batches its writes. */
export interface AuditIngestSettings {
  /** Most events appended in one transaction (one multi-row INSERT). */
  maxBatch: number;
}

export const AUDIT_INGEST_SETTINGS = Symbol('AUDIT_INGEST_SETTINGS');
/** Standalone mode's and the tests' batch; the distributed service reads AUDIT_INGEST_BATCH. */
export const DEFAULT_AUDIT_INGEST: AuditIngestSettings = { maxBatch: 256 };

interface Waiting {
  record: PreparedRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the audit log: events handed in while a transaction runs wait for the next
 * one, which appends up to `maxBatch` of them at once. Each `append` resolves only after the
 * transaction holding its event committed (so the bus acknowledges it then), and rejects with
 * the transaction's error otherwise (so the bus delivers it again).
 */
@Injectable()
export class AuditWriter {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(AUDIT_INGEST_SETTINGS) private readonly settings: AuditIngestSettings,
  ) {}

  /**
   * Records `event` once (by event id); resolves once it is committed. Its record is prepared
   * (escaped, canonicalized, hashed) here, outside the chain's lock.
   */
  append(event: EventEnvelope): Promise<void> {
    const record = prepareRecord(event, new Date().toISOString());
    return new Promise((resolve, reject) => {
      this.waiting.push({ record, resolve, reject });
      // The next turn of the event loop, so events handed in together go in one transaction.
      if (!this.flushing && this.waiting.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.settings.maxBatch);
        const records = batch.map((w) => w.record);
        try {
          try {
            await this.store(records, 'batch');
          } catch (error) {
            if (!isDataError(error)) throw error;
            await this.store(records, 'row-by-row');
          }
          for (const w of batch) w.resolve();
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private store(records: readonly PreparedRecord[], mode: AppendMode): Promise<void> {
    return asAuditRole(this.dataSource, (m) => appendToChain(m, records, mode), {
      appending: true,
    });
  }
}
