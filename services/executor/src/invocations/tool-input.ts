import { Ajv, type ValidateFunction } from 'ajv';
import { DomainError, toDetails, type Manifest } from '@convergio/contracts';

/** Plugin-declared input schemas are untrusted: compiled non-strictly, errors reported as bad input. */
const ajv = new Ajv({ strict: false, allErrors: true });
const compiled = new Map<string, ValidateFunction>();

/** The exported function behind a declared tool or agent, or a not_found error. */
export function declaredFunction(manifest: Manifest, name: string): { function: string; inputSchema?: Record<string, unknown> } {
  const tool = manifest.capabilities.tools?.find((t) => t.name === name || t.function === name);
  if (tool) return { function: tool.function, inputSchema: tool.input_schema };
  const agent = manifest.capabilities.agents?.find((a) => a.name === name || a.function === name);
  if (agent) return { function: agent.function };
  throw new DomainError('not_found', `${manifest.id}@${manifest.version} declares no tool or agent "${name}"`);
}

/** Checks a tool's input against its declared JSON Schema before the plugin runs. */
export function checkToolInput(cacheKey: string, schema: Record<string, unknown> | undefined, input: unknown): void {
  if (!schema) return;
  let validate = compiled.get(cacheKey);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (error) {
      throw new DomainError('plugin_failed', `the tool's input_schema does not compile: ${(error as Error).message}`);
    }
    compiled.set(cacheKey, validate);
  }
  if (!validate(input)) throw new DomainError('validation_failed', 'input does not match the tool input_schema', toDetails(validate.errors ?? []));
}
