import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ReplyMap, RequestMap } from '@convergio/contracts';
import { asAuditRole } from '../events/as-audit-role.js';
import { checkChainSegment, type CheckedRecord } from './chain-check.js';
import { recordHash } from './record-hash.js';
import { FIRST_SEQ, readStoredRecords, type StoredRecord } from './stored-records.js';

/** Recomputes the audit log's hash chain one bounded segment at a time. */
@Injectable()
export class ChainVerifyService {
  constructor(private readonly dataSource: DataSource) {}

  /** Checks up to `limit` records after `after` (from the first when null); memory is bounded by `limit`. */
  async verifySegment(q: RequestMap['audit.verify']): Promise<ReplyMap['audit.verify']> {
    const stored = await asAuditRole(this.dataSource, (m) =>
      readStoredRecords(
        (sql, parameters) => m.query(sql, parameters),
        q.after ? String(q.after.seq) : FIRST_SEQ,
        q.limit + 1,
      ),
    );
    const { checked, last, broken } = checkChainSegment(q.after, stored.map(toChecked), q.limit);
    return {
      records_checked: checked,
      last,
      first_broken: broken,
      done: broken !== null || stored.length <= q.limit,
    };
  }
}

function toChecked(record: StoredRecord): CheckedRecord {
  let computed: string;
  try {
    computed = recordHash(record);
  } catch {
    // Data no append could have hashed (nested too deep): it was changed in place.
    computed = '';
  }
  return { ...record, computed };
}
