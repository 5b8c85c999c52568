import type { SchemaObject } from '@nestjs/swagger';
import type { TSchema } from '@sinclair/typebox';

/**
 * A contract schema as @nestjs/swagger types one. TypeBox writes JSON Schema (a numeric
 * `exclusiveMaximum`, for one), which the OpenAPI 3.0 types of @nestjs/swagger do not admit; the
 * schemas passed here use no keyword the two read differently.
 */
export const openApiSchema = (schema: TSchema): SchemaObject => schema;
