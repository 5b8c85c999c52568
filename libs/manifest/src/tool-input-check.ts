// The compiler of tool input schemas that plugin sandboxes import by module specifier
// (`@convergio/manifest/tool-input-check`, the module of the runtime's `inputCheck`): it runs in the
// plugin's own worker, under its call's wall time, never on a thread other plugins share.
import type { InputSchemaCompiler } from '@convergio/sandbox';
import {
  compileToolInputSchema,
  inputSchemaBoundsProblems,
  ToolInputRefusal,
  type InputSchemaBounds,
} from './tool-input-schema.js';

/**
 * Compiles a tool's `input_schema` into a check that answers a refusal (`input does not match
 * the tool input_schema` with every problem, or a check too costly to finish) or `undefined`.
 * Throws an Error blaming the tool when the schema breaks the executor's `bounds` (too large, too
 * deep), even for versions approved under larger ones, or does not compile.
 */
export const compileInputSchema: InputSchemaCompiler<InputSchemaBounds> = (schema, bounds) => {
  const [problem] = inputSchemaBoundsProblems(schema, '/', bounds);
  if (problem) throw new Error(`the tool's ${problem.message}`);
  let check: (input: unknown) => void;
  try {
    check = compileToolInputSchema(schema);
  } catch (error) {
    throw new Error(`the tool's input_schema does not compile: ${(error as Error).message}`);
  }
  return (input) => {
    try {
      check(input);
      return undefined;
    } catch (error) {
      if (!(error instanceof ToolInputRefusal)) throw error;
      return { message: error.message, details: error.details };
    }
  };
};
