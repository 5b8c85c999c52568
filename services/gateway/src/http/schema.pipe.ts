import { Injectable, type PipeTransform } from '@nestjs/common';
import type { Static, TSchema } from '@sinclair/typebox';
import { compileChecker, DomainError, unstorableCharacters } from '@convergio/contracts';

/** How a {@link SchemaPipe} reads its input. */
export interface SchemaPipeOptions {
  /**
   * For query strings, whose values all arrive as text: "5" becomes 5 (plain decimal only, see
   * `compileChecker`), defaults are filled.
   */
  coerce?: boolean;
  /**
   * Lets strings hold NUL and lone UTF-16 surrogates, which no service could store: only for
   * input handed on and never stored (a plugin call's input). Otherwise they are refused with an
   * `invalid_characters` detail naming the field.
   */
  anyText?: boolean;
}

/** Validates a body or query against a JSON Schema; the 400 lists every problem. */
@Injectable()
export class SchemaPipe<S extends TSchema> implements PipeTransform<unknown, Static<S>> {
  private readonly check: (v: unknown) => Static<S>;

  constructor(
    schema: S,
    private readonly what: string,
    private readonly options: SchemaPipeOptions = {},
  ) {
    this.check = compileChecker<Static<S>>(schema, what, options);
  }

  transform(value: unknown): Static<S> {
    const checked = this.check(value ?? {});
    const unstorable = this.options.anyText ? [] : unstorableCharacters(checked);
    if (unstorable.length > 0)
      throw new DomainError('validation_failed', `invalid ${this.what}`, unstorable);
    return checked;
  }
}
