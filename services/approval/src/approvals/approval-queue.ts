import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  decodePageCursor,
  encodePageCursor,
  isCursorMicros,
  type ReplyMap,
  type RequestMap,
} from '@convergio/contracts';
import { BusLimits, countSizesWithin, pageWithin } from '@convergio/messaging';
import { APPROVAL_SCHEMA } from '../approval.schema.js';
import { toItem } from './approval-item.js';
import { Approval } from './approval.entity.js';

const LIST = 'approvals';

/**
 * Bytes an item of the queue may take beyond its stored row's JSON: the keys it has and the row
 * lacks (`permissions`, `permission_reasons`, `approvals_required`, longer names).
 */
const ITEM_OVER_ROW_BYTES = 256;

/** Where a page ends: requested_at in microseconds since 1970, then the row's key. */
type Position = [string, string, string];

/**
 * The first rows of the queue after a position, with an upper bound of the JSON of each one's
 * item: the row's own JSON (its manifest holds `permissions` and `permission_reasons`). Only the
 * rows under the LIMIT are measured, and none is read.
 */
const MEASURE = (after: boolean) => `SELECT k.plugin_id, k.version, k.at_us,
    octet_length(row_to_json(a)::text) AS bytes
  FROM (SELECT plugin_id, version, requested_at,
      (extract(epoch FROM requested_at) * 1000000)::bigint::text AS at_us
    FROM ${APPROVAL_SCHEMA}.approvals
    WHERE status = $1${
      after
        ? ` AND (requested_at, plugin_id, version) >
          (to_timestamp(0) + ($3 || ' microseconds')::interval, $4, $5)`
        : ''
    }
    ORDER BY requested_at, plugin_id, version
    LIMIT $2) k
  JOIN ${APPROVAL_SCHEMA}.approvals a USING (plugin_id, version)
  ORDER BY k.requested_at, k.plugin_id, k.version`;

/**
 * The review queue in pages, oldest request first (then by plugin id and version): at most
 * `limit` items, fewer when their JSON would pass the bus's reply budget (an item carries its
 * version's permissions, which can be large), with a cursor for the rest.
 */
@Injectable()
export class ApprovalQueue {
  constructor(
    private readonly dataSource: DataSource,
    private readonly limits: BusLimits,
  ) {}

  /**
   * The page of reviews in `status` after `cursor` (the first without). The database measures the
   * candidates first, so only the rows of the page are read, whatever their manifests' size.
   * @throws DomainError `validation_failed` for a cursor this queue did not hand out
   */
  async list(q: RequestMap['approval.queue.list']): Promise<ReplyMap['approval.queue.list']> {
    const after = q.cursor === undefined ? undefined : decodeApprovalsCursor(q.cursor);
    const budget = this.limits.replyBudget;
    const rows = await this.dataSource.query<
      { plugin_id: string; version: string; at_us: string; bytes: number }[]
    >(MEASURE(after !== undefined), [q.status, q.limit + 1, ...(after ?? [])]);
    const fit = countSizesWithin(
      rows.slice(0, q.limit).map((r) => r.bytes + ITEM_OVER_ROW_BYTES),
      budget,
    );
    const keys = rows.slice(0, fit);
    const found = keys.length
      ? await this.dataSource
          .getRepository(Approval)
          .find({ where: keys.map((k) => ({ pluginId: k.plugin_id, version: k.version })) })
      : [];
    const byKey = new Map(found.map((a) => [`${a.pluginId} ${a.version}`, a]));
    // A row decided between the two reads is no longer in this status: left out.
    const items = keys.flatMap((k) => {
      const a = byKey.get(`${k.plugin_id} ${k.version}`);
      return a && a.status === q.status ? [{ key: k, item: toItem(a) }] : [];
    });
    const { page, more } = pageWithin(items, fit, budget);
    const last = page[page.length - 1]?.key ?? keys[keys.length - 1];
    return {
      items: page.map((p) => p.item),
      next_cursor:
        more || rows.length > fit
          ? encodePageCursor(LIST, [last.at_us, last.plugin_id, last.version])
          : null,
    };
  }
}

/** The position a cursor of this queue names; `validation_failed` for any other. */
function decodeApprovalsCursor(cursor: string): Position {
  return decodePageCursor(LIST, cursor, 3, ([at]) => isCursorMicros(at)) as Position;
}
