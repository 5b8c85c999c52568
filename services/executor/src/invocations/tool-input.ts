import { Ajv, type ValidateFunction } from 'ajv';
import { DomainError, toDetails, type Manifest } from '@convergio/contracts';

const compiled = new Map<string, ValidateFunction>();

/** A declared tool or agent: its name, the export behind it, and the schema of its input. */
export interface DeclaredFunction {
  name: string;
  function: string;
  inputSchema?: Record<string, unknown>;
}

/** The declared tool or agent called `name` (or exported as `name`), or a not_found error. */
export function declaredFunction(manifest: Manifest, name: string): DeclaredFunction {
  const tool =
    manifest.capabilities.tools?.find((t) => t.name === name) ??
    manifest.capabilities.tools?.find((t) => t.function === name);
  if (tool) return { name: tool.name, function: tool.function, inputSchema: tool.input_schema };
  const agent = manifest.capabilities.agents?.find((a) => a.name === name || a.function === name);
  if (agent) return { name: agent.name, function: agent.function };
  throw new DomainError(
    'not_found',
    `${manifest.id}@${manifest.version} declares no tool or agent "${name}"`,
  );
}

/** Checks a tool's input against its declared JSON Schema before the plugin runs. */
export function checkToolInput(
  cacheKey: string,
  schema: Record<string, unknown> | undefined,
  input: unknown,
): void {
  if (!schema) return;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    try {
      // A fresh Ajv per schema: plugin schemas are untrusted, and a shared instance would let one
      // plugin's $id collide with, or be $ref'd by, another's.
      validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    } catch (error) {
      throw new DomainError(
        'plugin_failed',
        `the tool's input_schema does not compile: ${(error as Error).message}`,
      );
    }
    compiled.set(cacheKey, validate);
  }
  if (!validate(input))
    throw new DomainError(
      'validation_failed',
      'input does not match the tool input_schema',
      toDetails(validate.errors ?? []),
    );
}
