import { Injectable, type PipeTransform } from '@nestjs/common';
import type { Static, TSchema } from '@sinclair/typebox';
import { compileChecker } from '@convergio/contracts';

/** Validates a body or query against a JSON Schema; the 400 lists every problem. */
@Injectable()
export class SchemaPipe<S extends TSchema> implements PipeTransform<unknown, Static<S>> {
  private readonly check: (v: unknown) => Static<S>;

  /** `coerce` for query strings, whose values all arrive as text. */
  constructor(schema: S, what: string, options: { coerce?: boolean } = {}) {
    this.check = compileChecker<Static<S>>(schema, what, options);
  }

  transform(value: unknown): Static<S> {
    return this.check(value ?? {});
  }
}
