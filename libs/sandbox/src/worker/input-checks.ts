import { errorMessage } from '../error-message.js';
import type { InputCheck, InputSchemaCompiler } from '../input-check.js';
import { SandboxError } from '../sandbox-error.js';
import type { WorkerFailure, WorkerInit } from '../worker-protocol.js';

const decoder = new TextDecoder();

/**
 * The input schemas of one plugin instance, each compiled by the injected compiler on the first
 * call that names it and kept for the instance's life (a schema that cannot be used stays
 * refused). It runs in the plugin's worker, inside the call: a schema whose compilation or check
 * takes too long is stopped with the call, at its wall time, and stalls no other plugin.
 */
export class InputChecks {
  private readonly compiled = new Map<string, InputCheck | WorkerFailure>();

  private constructor(
    private readonly schemas: Record<string, unknown>,
    private readonly compile: ((schema: unknown) => InputCheck) | undefined,
  ) {}

  /**
   * Imports the compiler of `inputCheck` when the plugin has input schemas (at worker start, so
   * no call pays for it); rejects with a SandboxError when it is missing.
   */
  static async load({
    inputSchemas,
    inputCheck,
  }: Pick<WorkerInit, 'inputSchemas' | 'inputCheck'>): Promise<InputChecks> {
    if (Object.keys(inputSchemas).length === 0) return new InputChecks(inputSchemas, undefined);
    if (!inputCheck)
      throw new SandboxError('runtime_failure', 'the plugin has input schemas and no compiler');
    const loaded = (await import(inputCheck.module)) as { compileInputSchema?: unknown };
    if (typeof loaded.compileInputSchema !== 'function')
      throw new SandboxError(
        'runtime_failure',
        `${inputCheck.module} does not export compileInputSchema`,
      );
    const compile = loaded.compileInputSchema as InputSchemaCompiler;
    return new InputChecks(inputSchemas, (schema) => compile(schema, inputCheck.options));
  }

  /**
   * Why `input` (JSON bytes) must not reach the plugin under the schema `name`: `input_invalid`
   * or `input_schema_invalid`; `undefined` lets it run, as does a call that names no schema.
   */
  check(name: string | undefined, input: Uint8Array): WorkerFailure | undefined {
    if (name === undefined) return undefined;
    const check = this.compiledCheck(name);
    if (typeof check !== 'function') return check;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(input));
    } catch (error) {
      const message = `the input is not JSON: ${errorMessage(error)}`;
      return { code: 'input_invalid', message, details: [] };
    }
    try {
      const refusal = check(value);
      return (
        refusal && { code: 'input_invalid', message: refusal.message, details: refusal.details }
      );
    } catch (error) {
      const message = `checking the input against input schema "${name}" failed: ${errorMessage(error)}`;
      return { code: 'input_schema_invalid', message };
    }
  }

  private compiledCheck(name: string): InputCheck | WorkerFailure {
    let compiled = this.compiled.get(name);
    if (compiled) return compiled;
    try {
      if (!this.compile || !Object.hasOwn(this.schemas, name))
        throw new Error(`the plugin declares no input schema "${name}"`);
      compiled = this.compile(this.schemas[name]);
    } catch (error) {
      compiled = { code: 'input_schema_invalid', message: errorMessage(error) };
    }
    this.compiled.set(name, compiled);
    return compiled;
  }
}
