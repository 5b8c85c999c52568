import { In, type EntityManager } from 'typeorm';
import { createHash } from 'node:crypto';
import {
  decodePageCursor,
  DEFAULT_PAGE_LIMIT,
  encodePageCursor,
  isCursorMicros,
} from '@convergio/contracts';
import { countSizesWithin } from '@convergio/messaging';
import { REGISTRY_SCHEMA } from '../registry.schema.js';
import { PluginVersion } from './plugin-version.entity.js';

const LIST = 'versions';

/**
 * What a cursor of `pluginId`'s versions starts with, so that another plugin's list refuses it:
 * a digest, not the id, so that a cursor of a 255-character id still fits in 512 characters.
 */
const scopeOf = (pluginId: string) =>
  createHash('sha256').update(pluginId).digest('base64url').slice(0, 11);

/**
 * Bytes a version's state may take beyond its stored row's JSON: the keys it has and the row
 * lacks (`owner`, `loaded`, `sbom`, longer names). Its manifest is in the row; only its
 * permissions are in the state.
 */
const STATE_OVER_ROW_BYTES = 512;

/** Where a page ends: submitted_at in microseconds since 1970, then the version. */
type Position = [string, string];

/**
 * The newest versions of one plugin after a position, with the JSON size of each one's row.
 * Only the rows under the LIMIT are measured, and none is read.
 */
const MEASURE = (after: boolean) => `SELECT k.version, k.at_us,
    octet_length(row_to_json(v)::text) AS bytes
  FROM (SELECT version, submitted_at,
      (extract(epoch FROM submitted_at) * 1000000)::bigint::text AS at_us
    FROM ${REGISTRY_SCHEMA}.plugin_versions
    WHERE plugin_id = $1${
      after
        ? ` AND (submitted_at, version) <
          (to_timestamp(0) + ($3 || ' microseconds')::interval, $4)`
        : ''
    }
    ORDER BY submitted_at DESC, version DESC
    LIMIT $2) k
  JOIN ${REGISTRY_SCHEMA}.plugin_versions v ON v.plugin_id = $1 AND v.version = k.version
  ORDER BY k.submitted_at DESC, k.version DESC`;

/** A page of one plugin's versions, newest first, and the cursor of the rest. */
export interface PluginVersionsPage {
  rows: PluginVersion[];
  next_cursor: string | null;
}

/**
 * The versions of `pluginId` submitted before `cursor` (the newest without), newest first: at
 * most `limit` (default {@link DEFAULT_PAGE_LIMIT}), fewer when their states would pass `budget`
 * bytes of JSON. The database measures the candidates first, so only the rows of the page are
 * read, whatever their manifests' size or the number of versions.
 * @throws DomainError `validation_failed` for a cursor this list did not hand out
 */
export async function pluginVersionsPage(
  manager: EntityManager,
  pluginId: string,
  q: { cursor?: string; limit?: number },
  budget: number,
): Promise<PluginVersionsPage> {
  const limit = q.limit ?? DEFAULT_PAGE_LIMIT;
  const after = q.cursor === undefined ? undefined : decodeVersionsCursor(pluginId, q.cursor);
  const keys = await manager.query<{ version: string; at_us: string; bytes: number }[]>(
    MEASURE(after !== undefined),
    [pluginId, limit + 1, ...(after ?? [])],
  );
  const fit = countSizesWithin(
    keys.slice(0, limit).map((k) => k.bytes + STATE_OVER_ROW_BYTES),
    budget,
  );
  const page = keys.slice(0, fit);
  const found = page.length
    ? await manager.find(PluginVersion, {
        where: { pluginId, version: In(page.map((k) => k.version)) },
      })
    : [];
  const byVersion = new Map(found.map((r) => [r.version, r]));
  const last = page[page.length - 1];
  return {
    // Versions are never deleted: each key read is found.
    rows: page.flatMap((k) => byVersion.get(k.version) ?? []),
    next_cursor:
      keys.length > fit
        ? encodePageCursor(LIST, [scopeOf(pluginId), last.at_us, last.version])
        : null,
  };
}

/** The position a cursor of `pluginId`'s versions names; `validation_failed` for any other. */
function decodeVersionsCursor(pluginId: string, cursor: string): Position {
  const [, at, version] = decodePageCursor(
    LIST,
    cursor,
    3,
    ([scope, at]) => scope === scopeOf(pluginId) && isCursorMicros(at),
  );
  return [at, version];
}
