import { DomainError, validateManifest, type Manifest } from '@convergio/contracts';
import { inputSchemaBoundsProblems } from '@convergio/manifest';
import { inputSchemaBoundsOf } from '@convergio/runtime';
import type { GatewayLimits } from '../config/gateway.config.js';
import { parseManifestText } from '@convergio/signing';
import { tooDeep } from '../http/limit-errors.js';

/**
 * Reads the `manifest` part of a submission (a file, or a text field) as the gateway takes it:
 * JSON in UTF-8 nested at most GATEWAY_MAX_JSON_DEPTH deep, checked before anything recursive walks the
 * value; refused before anything else looks at it when a key is repeated at any depth
 * (`manifest_duplicate_key`) or a number would not survive parsing (`manifest_unsafe_number`),
 * since the value checked must be the value signed (libs/signing parseManifestText); valid
 * against the manifest schema, every problem listed; each tool's `input_schema` within
 * INPUT_SCHEMA_MAX_BYTES and INPUT_SCHEMA_MAX_DEPTH (verification's findings, refused here with
 * 400 so nothing is stored, recorded or compiled).
 */
export function readManifestPart(part: unknown, limits: GatewayLimits): Manifest {
  if (part === undefined)
    throw new DomainError('bad_request', 'the multipart part "manifest" (plugin.json) is missing');
  if (typeof part !== 'string' && !Buffer.isBuffer(part))
    throw new DomainError(
      'bad_request',
      'send the multipart part "manifest" (plugin.json) once, as a file or a text field',
    );
  const manifest = validateManifest(parseJson(part, limits.GATEWAY_MAX_JSON_DEPTH));
  const bounds = (manifest.capabilities.tools ?? []).flatMap((tool, i) =>
    inputSchemaBoundsProblems(
      tool.input_schema,
      `/capabilities/tools/${i}/input_schema`,
      inputSchemaBoundsOf(limits),
    ),
  );
  if (bounds.length > 0)
    throw new DomainError('validation_failed', 'invalid plugin manifest', bounds);
  return manifest;
}

function parseJson(part: string | Buffer, maxDepth: number): unknown {
  const parsed = parseManifestText(part, { maxDepth });
  if (parsed.ok) return parsed.value;
  switch (parsed.code) {
    case 'manifest_too_deep':
      throw tooDeep('the multipart part "manifest" (plugin.json)', maxDepth);
    case 'manifest_invalid_json':
      // The parser's message names plugin.json and says what to fix.
      throw new DomainError('bad_request', parsed.message);
    case 'invalid_characters':
      throw new DomainError('validation_failed', 'invalid plugin manifest', parsed.details);
    // The codes of the parser's other refusals; the signature codes are never its answer.
    case 'manifest_duplicate_key':
    case 'manifest_unsafe_number':
    case 'module_hash_mismatch':
    case 'signature_invalid':
    case 'signature_malformed':
    case 'signature_missing':
    case 'signer_key_invalid':
    case 'signer_key_small_order':
    case 'signing_malformed':
      throw new DomainError('validation_failed', `plugin.json refused: ${parsed.message}`, [
        { code: parsed.code, message: parsed.message, ...(parsed.path && { path: parsed.path }) },
      ]);
  }
}
