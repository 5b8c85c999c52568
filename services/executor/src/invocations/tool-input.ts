import { DomainError, type Manifest } from '@convergio/contracts';

/** A declared tool or agent: its name, the export behind it, and the schema its input must match. */
export interface DeclaredFunction {
  name: string;
  function: string;
  /**
   * Key in {@link toolInputSchemas} of the schema the input is checked against, inside the
   * plugin's sandbox, before the function runs: the tool's name. Agents have none.
   */
  inputSchema?: string;
}

/** The declared tool or agent called `name` (or exported as `name`), or a not_found error. */
export function declaredFunction(manifest: Manifest, name: string): DeclaredFunction {
  const tool =
    manifest.capabilities.tools?.find((t) => t.name === name) ??
    manifest.capabilities.tools?.find((t) => t.function === name);
  if (tool) return { name: tool.name, function: tool.function, inputSchema: tool.name };
  const agent = manifest.capabilities.agents?.find((a) => a.name === name || a.function === name);
  if (agent) return { name: agent.name, function: agent.function };
  throw new DomainError(
    'not_found',
    `${manifest.id}@${manifest.version} declares no tool or agent "${name}"`,
  );
}

/**
 * Each tool's `input_schema` by tool name (the first tool of a name wins, as in
 * {@link declaredFunction}): the plugin's sandbox compiles and runs them, never this process.
 */
export function toolInputSchemas(manifest: Manifest): Record<string, Record<string, unknown>> {
  // fromEntries defines own properties (a tool may be called __proto__); later entries win.
  const tools = [...(manifest.capabilities.tools ?? [])].reverse();
  return Object.fromEntries(tools.map((tool) => [tool.name, tool.input_schema]));
}
