// An input-schema compiler for the sandbox's own tests, loaded inside plugin workers by URL (the
// platform's, on Ajv, is @convergio/manifest/tool-input-check). Its schemas:
// `{ required: [keys] }` refuses objects missing a key, `{ spin: true }` never answers, and
// `{ unusable: reason }` does not compile.
import type { InputSchemaCompiler } from '../input-check.js';

// Per worker: a refusal names the compilation that refused, so tests see what was compiled when.
let compilations = 0;

export const compileInputSchema: InputSchemaCompiler = (schema) => {
  const {
    required = [],
    spin,
    unusable,
  } = schema as {
    required?: string[];
    spin?: boolean;
    unusable?: string;
  };
  if (unusable) throw new Error(unusable);
  const compilation = ++compilations;
  return (input) => {
    while (spin);
    const missing = required.filter((key) => !Object.hasOwn(Object(input) as object, key));
    if (missing.length === 0) return undefined;
    return {
      message: `compilation ${compilation} refused the input`,
      details: missing.map((key) => ({ code: 'required', message: `no ${key}`, path: `/${key}` })),
    };
  };
};
