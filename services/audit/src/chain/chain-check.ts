import type { AuditChainBreak, AuditChainLink } from '@convergio/contracts';
import { GENESIS_HASH } from './record-hash.js';

/** A stored record as the chain check sees it: its link, what it stores and what its content hashes to. */
export interface CheckedRecord extends AuditChainLink {
  prev_hash: string;
  /** The hash recomputed from the record's stored content and `prev_hash`. */
  computed: string;
}

/** The outcome of checking one segment of the chain. */
export interface ChainSegmentCheck {
  checked: number;
  /** The last record found intact (where the next segment starts), or `after` if none was. */
  last: AuditChainLink | null;
  broken: AuditChainBreak | null;
}

const GENESIS: AuditChainLink = { seq: 0, event_id: '', hash: GENESIS_HASH };
const breakAt = (r: AuditChainLink, problem: AuditChainBreak['problem']): AuditChainBreak => ({
  seq: r.seq,
  event_id: r.event_id,
  problem,
});

/**
 * Checks `records` (in seq order, all after `after`); `next` is the `prev_hash` of the record
 * that follows them, null when none does, only looked at to tell an inserted record from a
 * removed or changed one. A record is intact when its stored hash is its recomputed one and its
 * `prev_hash` is the stored hash of the record before. Otherwise the first break is named:
 * - `inserted`: the record after it links to the one before it, or it is the last and links to nothing;
 * - `removed`: records before it are missing (a gap in seq, or the first record does not start the chain);
 * - `changed`: its content, `prev_hash` or hash was edited; or it is intact but the record
 *   before was rewritten with a recomputed hash (then the record before is named).
 */
export function checkChainSegment(
  after: AuditChainLink | null,
  records: readonly CheckedRecord[],
  next: string | null,
): ChainSegmentCheck {
  let prev = after ?? GENESIS;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const broken = problemOf(prev, r, i + 1 < records.length ? records[i + 1].prev_hash : next);
    if (broken) return { checked: i, last: after === null && i === 0 ? null : prev, broken };
    prev = { seq: r.seq, event_id: r.event_id, hash: r.hash };
  }
  return { checked: records.length, last: records.length === 0 ? after : prev, broken: null };
}

/** `nextPrevHash`: the `prev_hash` of the record after `r`, null when none follows. */
function problemOf(
  prev: AuditChainLink,
  r: CheckedRecord,
  nextPrevHash: string | null,
): AuditChainBreak | null {
  const contentOk = r.computed === r.hash;
  const linkOk = r.prev_hash === prev.hash;
  if (contentOk && linkOk) return null;
  if (nextPrevHash === prev.hash) return breakAt(r, 'inserted');
  if (linkOk) return breakAt(r, 'changed');
  if (r.seq > prev.seq + 1 || prev.hash === GENESIS_HASH) return breakAt(r, 'removed');
  if (contentOk) return breakAt(prev, 'changed');
  return nextPrevHash !== null ? breakAt(r, 'changed') : breakAt(r, 'inserted');
}
