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
   * input handed on and never stored (a plugin call's input, which no event carries). Otherwise
   * they are refused with an `invalid_characters` detail naming the field. A lone surrogate is
   * handed on intact, as the JSON escape `\ud800` that JSON.stringify writes (RFC 8259 §8.2), not
   * as UTF-8: what it becomes is the plugin's reader's choice (the example greet plugin's UTF-8
   * encoding of its output makes it U+FFFD). A plugin can make such strings itself anyway, so
   * refusing them here would protect nothing that reads its host calls; the hostile-plugin e2e
   * cases pass them this way to check their denials are audited escaped.
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
