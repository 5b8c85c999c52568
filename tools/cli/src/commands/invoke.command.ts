import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { inputError } from '../exit-codes.js';
import { pathOf } from '../gateway/gateway-client.js';
import { gatewayClient, withGatewayOptions } from '../gateway/gateway-options.js';
import { readLocalFile } from '../local-files.js';
import { printResult } from '../output.js';
import type { InvokeReply } from '../state-views.js';

interface InvokeOptions {
  input?: string;
  pluginVersion?: string;
  json?: boolean;
}

export function registerInvoke(program: Command): void {
  withGatewayOptions(
    program
      .command('invoke')
      .summary("call a plugin's tool or agent (invoker key)")
      .description(
        'Calls a function of the serving version (the highest approved release), or of ' +
          '--plugin-version, and prints its output as JSON (POST /v1/plugins/{id}/invoke). With ' +
          '--json, the whole answer: version, output, duration_ms, trace_id. A plugin that fails ' +
          "is the platform's refusal plugin_failed (exit 1).",
      )
      .argument('<plugin-id>')
      .argument('<function>', 'a tool or agent name, or its exported function')
      .option('--input <json>', 'the input: JSON text, @file, or @- for stdin (default {})')
      .option('--plugin-version <version>', 'call this version rather than the serving one')
      .addHelpText(
        'after',
        `
Examples:
  convergio invoke example.greet greet --input '{"name": "Ada"}'
  convergio invoke example.notes save --input @note.json --json`,
      ),
  ).action(async (id: string, fn: string, options: InvokeOptions, command: Command) => {
    const input = await readInput(options.input);
    const client = await gatewayClient(command);
    const reply = await client.call<InvokeReply>({
      method: 'POST',
      path: pathOf('v1', 'plugins', id, 'invoke'),
      json: {
        function: fn,
        input,
        ...(options.pluginVersion && { version: options.pluginVersion }),
      },
    });
    printResult(options.json ?? false, reply, () => JSON.stringify(reply.output, null, 2));
  });
}

async function readInput(option: string | undefined): Promise<unknown> {
  if (option === undefined) return {};
  const text = !option.startsWith('@')
    ? option
    : option === '@-'
      ? readFileSync(0, 'utf8')
      : (await readLocalFile(option.slice(1), 'the input file')).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw inputError(
      'input_invalid_json',
      `--input is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      `quote it for the shell, e.g. --input '{"name": "Ada"}', or give @file`,
    );
  }
}
