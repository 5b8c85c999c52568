import type { ErrorDetail } from '@convergio/contracts';

/** Why a call's input was refused: a summary, and each problem with where it is. */
export interface InputRefusal {
  message: string;
  details: ErrorDetail[];
}

/** Checks one call's input (its bytes parsed as JSON): the refusal, or `undefined` to let it run. */
export type InputCheck = (input: unknown) => InputRefusal | undefined;

/**
 * Turns one plugin-declared input schema into an {@link InputCheck}, under the `options` of its
 * {@link InputCheckSpec}. Throws an Error whose message says why the schema cannot be used (the
 * call then fails with `input_schema_invalid`). The module of the spec exports one as
 * `compileInputSchema`; it runs in plugin workers, so the schema and its checks are bounded by
 * the call's wall time, never on a thread other plugins share.
 */
export type InputSchemaCompiler<Options = unknown> = (
  schema: unknown,
  options: Options,
) => InputCheck;

/**
 * The module plugin workers compile input schemas with (it exports `compileInputSchema`, an
 * {@link InputSchemaCompiler}) and the options each compilation is given (plain data: they cross
 * into sandbox processes and workers).
 */
export interface InputCheckSpec {
  module: string;
  options: unknown;
}

/** What a call may ask of the sandbox besides running its function. */
export interface CallOptions {
  /**
   * Name of one of the plugin's `inputSchemas` (see PluginSpec) the input must match before the
   * function runs; the call fails with `input_invalid` when it does not.
   */
  inputSchema?: string;
}
