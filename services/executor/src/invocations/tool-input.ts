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

/**
 * The declared tool or agent called `name`, else the one exported as `name` (tools first, then
 * agents; the first of each), or a not_found error. Names come first: an agent's name reaches
 * that agent even when a tool's export has the same name.
 */
export function declaredFunction(manifest: Manifest, name: string): DeclaredFunction {
  const declared: DeclaredFunction[] = [
    ...(manifest.capabilities.tools ?? []).map((t) => ({
      name: t.name,
      function: t.function,
      inputSchema: t.name,
    })),
    ...(manifest.capabilities.agents ?? []).map((a) => ({ name: a.name, function: a.function })),
  ];
  const found = declared.find((d) => d.name === name) ?? declared.find((d) => d.function === name);
  if (found) return found;
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
