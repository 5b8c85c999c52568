import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ReplyMap, RequestMap } from '@convergio/contracts';
import { asAuditRole } from '../events/as-audit-role.js';
import { checkChainSegment, type CheckedRecord } from './chain-check.js';
import { recordHash } from './record-hash.js';
import {
  FIRST_SEQ,
  prevHashAfter,
  readStoredRecords,
  type StoredRecord,
} from './stored-records.js';

/** Recomputes the audit log's hash chain one bounded segment at a time. */
@Injectable()
export class ChainVerifyService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Checks up to `limit` records after `after` (from the first when null), fewer when their
   * bytes exceed `CHAIN_READ_BUDGET` (at least one while any follows); of the record after
   * them only its `prev_hash` is read. `done` when the chain is broken or no record follows.
   */
  async verifySegment(q: RequestMap['audit.verify']): Promise<ReplyMap['audit.verify']> {
    const { stored, next } = await asAuditRole(this.dataSource, async (m) => {
      const stored = await readStoredRecords(m, q.after ? String(q.after.seq) : FIRST_SEQ, q.limit);
      const last = stored.at(-1);
      return { stored, next: last ? await prevHashAfter(m, String(last.seq)) : null };
    });
    const { checked, last, broken } = checkChainSegment(q.after, stored.map(toChecked), next);
    return {
      records_checked: checked,
      last,
      first_broken: broken,
      done: broken !== null || next === null,
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
