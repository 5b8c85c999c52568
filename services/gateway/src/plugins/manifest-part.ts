import { DomainError, validateManifest, type Manifest } from '@convergio/contracts';
import { inputSchemaBoundsProblems } from '@convergio/manifest';
import { nestsDeeperThan } from '../http/json-depth.js';
import { tooDeep } from '../http/limit-errors.js';

/**
 * Reads the `manifest` part of a submission (a file, or a text field) as the gateway takes it:
 * JSON nested at most `maxDepth` deep, checked before anything recursive walks the value; valid
 * against the manifest schema, every problem listed; each tool's `input_schema` within the
 * size and depth verification holds it to (the same findings, refused here with 400 so nothing
 * is stored, recorded or compiled).
 */
export function readManifestPart(part: unknown, maxDepth: number): Manifest {
  if (part === undefined)
    throw new DomainError('bad_request', 'the multipart part "manifest" (plugin.json) is missing');
  if (typeof part !== 'string' && !Buffer.isBuffer(part))
    throw new DomainError(
      'bad_request',
      'send the multipart part "manifest" (plugin.json) once, as a file or a text field',
    );
  const parsed = parseJson(part.toString());
  if (nestsDeeperThan(parsed, maxDepth))
    throw tooDeep('the multipart part "manifest" (plugin.json)', maxDepth);
  const manifest = validateManifest(parsed);
  const bounds = (manifest.capabilities.tools ?? []).flatMap((tool, i) =>
    inputSchemaBoundsProblems(tool.input_schema, `/capabilities/tools/${i}/input_schema`),
  );
  if (bounds.length > 0)
    throw new DomainError('validation_failed', 'invalid plugin manifest', bounds);
  return manifest;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DomainError(
      'bad_request',
      `plugin.json is not valid JSON: ${(error as Error).message}`,
    );
  }
}
