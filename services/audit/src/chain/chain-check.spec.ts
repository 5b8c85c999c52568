import { randomUUID } from 'node:crypto';
import { checkChainSegment, type CheckedRecord } from './chain-check.js';
import { GENESIS_HASH, recordHash, type ChainedRecord } from './record-hash.js';

/** A chain of `n` records as the writer appends them, each with its recomputed hash. */
function chainOf(n: number): (ChainedRecord & { hash: string })[] {
  const records: (ChainedRecord & { hash: string })[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const record: ChainedRecord = {
      seq,
      event_id: randomUUID(),
      type: 'plugin.loaded',
      source: 'executor',
      plugin_id: 'a.b',
      version: '1.0.0',
      correlation_id: `c-${seq}`,
      occurred_at: '2026-11-30T05:00:00.000Z',
      recorded_at: '2026-11-30T05:00:01.000Z',
      data: { plugin_id: 'a.b', n: seq },
      prev_hash: prev,
    };
    prev = recordHash(record);
    records.push({ ...record, hash: prev });
  }
  return records;
}

const checked = (records: (ChainedRecord & { hash: string })[]): CheckedRecord[] =>
  records.map((r) => ({ ...r, computed: recordHash(r) }));
const link = (r: ChainedRecord & { hash: string }) => ({
  seq: r.seq,
  event_id: r.event_id,
  hash: r.hash,
});

describe('checkChainSegment', () => {
  it('finds an appended chain intact and ends on its last record', () => {
    const records = chainOf(5);
    expect(checkChainSegment(null, checked(records), null)).toEqual({
      checked: 5,
      last: link(records[4]),
      broken: null,
    });
    expect(checkChainSegment(null, [], null)).toEqual({ checked: 0, last: null, broken: null });
  });

  it('continues from the last record of the previous segment', () => {
    const records = chainOf(6);
    const first = checkChainSegment(null, checked(records.slice(0, 3)), records[3].prev_hash);
    expect(first).toMatchObject({ checked: 3, broken: null, last: link(records[2]) });
    expect(checkChainSegment(first.last, checked(records.slice(3)), null)).toEqual({
      checked: 3,
      last: link(records[5]),
      broken: null,
    });
  });

  it.each([
    ['data', (r: ChainedRecord) => ({ ...r, data: { ...r.data, n: 99 } })],
    ['type', (r: ChainedRecord) => ({ ...r, type: 'plugin.unloaded' })],
    ['occurred_at', (r: ChainedRecord) => ({ ...r, occurred_at: '2026-11-30T06:00:00.000Z' })],
    ['correlation_id', (r: ChainedRecord) => ({ ...r, correlation_id: 'other' })],
    ['recorded_at', (r: ChainedRecord) => ({ ...r, recorded_at: '2027-01-01T00:00:00.000Z' })],
  ])('names a record whose %s was changed in place', (_what, change) => {
    const records = chainOf(4);
    const tampered = checked(records);
    tampered[1] = { ...tampered[1], computed: recordHash(change(records[1])) };
    expect(checkChainSegment(null, tampered, null)).toEqual({
      checked: 1,
      last: link(records[0]),
      broken: { seq: 2, event_id: records[1].event_id, problem: 'changed' },
    });
  });

  it('names a changed record whose hash was recomputed, through the next one that no longer links', () => {
    const records = chainOf(4);
    const rewritten = { ...records[1], data: { n: 'forged' } };
    const tampered = checked([
      records[0],
      { ...rewritten, hash: recordHash(rewritten) },
      ...records.slice(2),
    ]);
    expect(checkChainSegment(null, tampered, null).broken).toEqual({
      seq: 2,
      event_id: records[1].event_id,
      problem: 'changed',
    });
  });

  it('names the last record when it was changed', () => {
    const records = chainOf(3);
    const tampered = checked(records);
    tampered[2] = { ...tampered[2], computed: recordHash({ ...records[2], source: 'x' }) };
    expect(checkChainSegment(null, tampered, null).broken).toMatchObject({
      seq: 3,
      problem: 'changed',
    });
  });

  it('names the record after a removed one, in the middle and at the start', () => {
    const records = chainOf(5);
    expect(checkChainSegment(null, checked(records.filter((r) => r.seq !== 3)), null)).toEqual({
      checked: 2,
      last: link(records[1]),
      broken: { seq: 4, event_id: records[3].event_id, problem: 'removed' },
    });
    expect(checkChainSegment(null, checked(records.slice(2)), null).broken).toEqual({
      seq: 3,
      event_id: records[2].event_id,
      problem: 'removed',
    });
  });

  it('names an inserted record: between two, before the first, or after the last', () => {
    const records = chainOf(4);
    const forged = (seq: number, prev_hash: string) => {
      const r = { ...records[1], seq, event_id: randomUUID(), prev_hash };
      return { ...r, hash: recordHash(r) };
    };
    // Between: a seq the chain never used (a gap after legacy rows, or made by renumbering).
    const gapChain = checked(records).map((r) => ({ ...r }));
    const between = checked([forged(2, 'f'.repeat(64))])[0];
    const spaced = [
      gapChain[0],
      between,
      ...gapChain.slice(1).map((r) => ({ ...r, seq: r.seq + 1 })),
    ];
    expect(checkChainSegment(null, spaced, null).broken).toMatchObject({
      seq: 2,
      problem: 'inserted',
    });
    const before = checked([forged(0, 'e'.repeat(64))])[0];
    expect(checkChainSegment(null, [before, ...checked(records)], null).broken).toEqual({
      seq: 0,
      event_id: before.event_id,
      problem: 'inserted',
    });
    // A copy of a record appended with the copied record's links.
    const copy = { ...records[1], seq: 5, event_id: randomUUID() };
    const after = checked([...records, copy]);
    expect(checkChainSegment(null, after, null)).toMatchObject({
      checked: 4,
      broken: { seq: 5, event_id: copy.event_id, problem: 'inserted' },
    });
  });

  it('looks at the prev_hash of the record after the segment to tell an inserted record at its end', () => {
    const records = chainOf(4);
    const forged = { ...records[2], event_id: randomUUID(), prev_hash: 'a'.repeat(64) };
    const segment = checked([
      records[0],
      records[1],
      forged,
      ...records.slice(2).map((r) => ({ ...r, seq: r.seq + 1 })),
    ]);
    expect(checkChainSegment(null, segment.slice(0, 3), segment[3].prev_hash).broken).toMatchObject(
      {
        seq: 3,
        problem: 'inserted',
      },
    );
  });
});
