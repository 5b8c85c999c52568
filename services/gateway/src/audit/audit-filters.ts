import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { RequestSchemas, RequestSubjects } from '@convergio/contracts';
import { openApiSchema } from '../http/openapi-schema.js';
import { canonicalUuid } from '../http/uuid.js';

const Filters = RequestSchemas[RequestSubjects.AuditQuery].request.properties;
const { limit: _limit, ...ExportFilters } = Filters;

/** The audit service's own query, field for field, so nothing reaches it unchecked. */
export const AuditQuery = Type.Object(
  {
    ...Filters,
    limit: Type.Integer({
      minimum: Filters.limit.minimum,
      maximum: Filters.limit.maximum,
      default: 100,
    }),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

/**
 * `filters` with an `actor` that is a key id written as events record it (see canonicalUuid):
 * the key routes take a key id in either case and as a URN, and an auditor searching by the
 * upper-case spelling was told the key did nothing. Service names (`gateway`) stay as they are.
 */
export function withCanonicalActor<Filters extends { actor?: string }>(filters: Filters): Filters {
  const keyId = filters.actor === undefined ? undefined : canonicalUuid(filters.actor);
  return keyId === undefined ? filters : { ...filters, actor: keyId };
}

/** The filters of an export: those of a query, without the page size. */
export const AuditExportQuery = Type.Object(ExportFilters, { additionalProperties: false });
export type AuditExportQuery = Static<typeof AuditExportQuery>;

const descriptions: Record<string, string> = {
  plugin_id: 'events of this plugin id',
  version: 'events of this plugin version',
  type: 'events of this subject, e.g. plugin.approved',
  actor: 'events caused by this API key id (or service name): `data.actor`',
  from: 'events that occurred at or after this time (RFC 3339)',
  to: 'events that occurred before this time (RFC 3339)',
  cursor: "the previous page's `next_cursor`",
  after_seq: 'events recorded after this seq (prefer `cursor`)',
  limit: 'events per page',
};

/** OpenAPI parameters of a query schema's properties. */
export function ApiAuditFilters(schema: { properties: Record<string, TSchema> }) {
  return applyDecorators(
    ...Object.entries(schema.properties).map(([name, property]) =>
      ApiQuery({
        name,
        required: false,
        description: descriptions[name],
        schema: openApiSchema(property),
      }),
    ),
  );
}
