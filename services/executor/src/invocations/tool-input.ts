import { DomainError, type Manifest } from '@convergio/contracts';
import {
  compileToolInputSchema,
  inputSchemaBoundsProblems,
  ToolInputRefusal,
  type ToolInputCheck,
} from '@convergio/manifest';

const compiled = new Map<string, ToolInputCheck>();

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

/**
 * Checks a tool's input against its declared JSON Schema before the plugin runs, on the linear-time
 * engine of `compileToolInputSchema` (the schema is the plugin's; this runs on the main thread).
 * A schema verification would refuse today (too large, too deep, not runnable without
 * backtracking) is refused with `plugin_failed`, even for versions approved before the bound.
 */
export function checkToolInput(
  cacheKey: string,
  schema: Record<string, unknown> | undefined,
  input: unknown,
): void {
  if (!schema) return;
  let check = compiled.get(cacheKey);
  if (!check) {
    check = compile(schema);
    compiled.set(cacheKey, check);
  }
  try {
    check(input);
  } catch (error) {
    if (!(error instanceof ToolInputRefusal)) throw error;
    throw new DomainError('validation_failed', error.message, error.details);
  }
}

function compile(schema: Record<string, unknown>): ToolInputCheck {
  const [problem] = inputSchemaBoundsProblems(schema, '/');
  if (problem) throw new DomainError('plugin_failed', `the tool's ${problem.message}`);
  try {
    return compileToolInputSchema(schema);
  } catch (error) {
    throw new DomainError(
      'plugin_failed',
      `the tool's input_schema does not compile: ${(error as Error).message}`,
    );
  }
}
