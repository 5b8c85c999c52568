import { Injectable } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import {
  AuditChainBreakSchema,
  RequestSubjects,
  type AuditChainLink,
  type ReplyMap,
} from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';

/**
 * Records the audit service checks per request at most: what bounds each request's time. It
 * checks fewer when they are large (its read budget bounds its memory), so a segment that is not
 * `done` is followed by another, however short.
 */
const SEGMENT = 5000;

/** The answer of GET /v1/audit/verify. */
export const ChainVerdictSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when every record is intact and linked' }),
  records_checked: Type.Integer({ description: 'records found intact before any break' }),
  first_broken: Type.Union([AuditChainBreakSchema, Type.Null()]),
  head: Type.Union(
    [
      Type.Object({ seq: Type.Integer(), event_id: Type.String(), hash: Type.String() }),
      Type.Null(),
    ],
    {
      description:
        'the last intact record: keep its hash outside the platform (an anchor) to detect a later removal of the tail',
    },
  ),
});
export type ChainVerdict = Static<typeof ChainVerdictSchema>;

/**
 * Walks the whole hash chain through the audit service, one segment per request. Verifications
 * asked while one runs share its verdict: each walk reads and hashes the whole log, so callers
 * cannot start more than one at a time per gateway.
 */
@Injectable()
export class AuditVerify {
  private running: Promise<ChainVerdict> | undefined;

  constructor(private readonly bus: BusClient) {}

  /** The verdict of the walk running now, or of a new one; throws what the audit service does. */
  verify(): Promise<ChainVerdict> {
    this.running ??= this.walk().finally(() => (this.running = undefined));
    return this.running;
  }

  private async walk(): Promise<ChainVerdict> {
    let after: AuditChainLink | null = null;
    let checked = 0;
    for (;;) {
      const segment: ReplyMap['audit.verify'] = await this.bus.request(
        RequestSubjects.AuditVerify,
        {
          after,
          limit: SEGMENT,
        },
      );
      checked += segment.records_checked;
      after = segment.last ?? after;
      if (segment.done)
        return {
          ok: segment.first_broken === null,
          records_checked: checked,
          first_broken: segment.first_broken,
          head: after,
        };
    }
  }
}
