import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, PageCursorSchema } from '@convergio/contracts';
import { openApiSchema } from './openapi-schema.js';

/**
 * The query of a list route: its own `filters`, then `cursor` (the previous page's `next_cursor`)
 * and `limit` (1 to {@link MAX_PAGE_LIMIT}, {@link DEFAULT_PAGE_LIMIT} when not given); any other
 * name is refused.
 */
export function pageQuery<P extends TProperties>(filters: P) {
  return Type.Object(
    {
      ...filters,
      cursor: Type.Optional(PageCursorSchema),
      limit: Type.Integer({
        minimum: 1,
        maximum: MAX_PAGE_LIMIT,
        default: DEFAULT_PAGE_LIMIT,
        description: `items per page, 1 to ${MAX_PAGE_LIMIT} (default ${DEFAULT_PAGE_LIMIT}); a page holds fewer when they would not fit one bus message`,
      }),
    },
    { additionalProperties: false },
  );
}

/** OpenAPI parameters of a {@link pageQuery}: each property, none required. */
export function ApiPageQuery(schema: TObject) {
  return applyDecorators(
    ...Object.entries(schema.properties).map(([name, property]) =>
      ApiQuery({
        name,
        required: false,
        description: property.description,
        schema: openApiSchema(property),
      }),
    ),
  );
}

/** The description of a list route: its order, then how it pages. */
export const pagedListDescription = (order: string, items: string) =>
  `${order} A page holds at most \`limit\` ${items} (default ${DEFAULT_PAGE_LIMIT}, at most ${MAX_PAGE_LIMIT}), fewer when they would not fit one bus message (NATS max_payload); page on with \`?cursor=\` the previous page's \`next_cursor\` until it is null. 400 \`validation_failed\` for a cursor this list did not hand out.`;
