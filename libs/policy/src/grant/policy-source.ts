import { parseDocument } from 'yaml';
import { jsonDuplicateKeys } from './json-duplicate-keys.js';

/** The parsed content of a policy file, or the syntax problems that stopped it. */
export type PolicySource = { ok: true; value: unknown } | { ok: false; problems: string[] };

/** Aliases a YAML file may expand at most (a "billion laughs" file stops here). */
const MAX_YAML_ALIASES = 100;

/**
 * Reads a policy file's text by its extension: `.json` (duplicate keys refused), `.yaml`
 * or `.yml` (YAML 1.2 core schema, one document, duplicate keys and unknown tags refused;
 * an empty or comment-only file is an empty policy). Any other extension is a problem.
 */
export function readPolicySource(text: string, fileName: string): PolicySource {
  const extension = /\.([^./]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'json') return readJson(text);
  if (extension === 'yaml' || extension === 'yml') return readYaml(text);
  return { ok: false, problems: ['the file name must end in .json, .yaml or .yml'] };
}

function readJson(text: string): PolicySource {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`JSON syntax: ${(error as Error).message}`] };
  }
  const duplicates = jsonDuplicateKeys(text);
  return duplicates.length > 0 ? { ok: false, problems: duplicates } : { ok: true, value };
}

function readYaml(text: string): PolicySource {
  const document = parseDocument(text, {
    schema: 'core',
    uniqueKeys: true,
    strict: true,
    prettyErrors: true,
  });
  // Pretty messages end with a code excerpt; the first line has the text and position.
  const problems = [...document.errors, ...document.warnings].map(
    (e) => `YAML: ${e.message.split('\n')[0].replace(/:$/, '')}`,
  );
  if (problems.length > 0) return { ok: false, problems };
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {} };
  } catch (error) {
    return { ok: false, problems: [`YAML: ${(error as Error).message}`] };
  }
}
