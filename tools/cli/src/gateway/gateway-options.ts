import { Option, type Command } from 'commander';
import { ExitCode, CliError, usageError } from '../exit-codes.js';
import { readLocalFile } from '../local-files.js';
import { GatewayClient } from './gateway-client.js';

/** Where the gateway is unless told: `npm start` listens here. */
const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:3000';

/** The options every command that talks to the gateway takes. */
interface GatewayOptions {
  url: string;
  key?: string;
  keyFile?: string;
  json?: boolean;
}

/** Adds --url, --key, --key-file and --json, each with its environment variable. */
export function withGatewayOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'the gateway').env('CONVERGIO_URL').default(DEFAULT_GATEWAY_URL),
    )
    .addOption(
      new Option(
        '--key <api-key>',
        'API key (a flag shows in `ps`: prefer the variable or --key-file)',
      ).env('CONVERGIO_API_KEY'),
    )
    .addOption(
      new Option(
        '--key-file <file>',
        'file holding the API key, e.g. data/admin-key of `npm start`',
      ).env('CONVERGIO_API_KEY_FILE'),
    )
    .option('--json', 'print the result as one JSON document on stdout');
}

/**
 * The client for a command's options. The key is the first of: --key, --key-file,
 * CONVERGIO_API_KEY, CONVERGIO_API_KEY_FILE; none is a usage error, before any request.
 */
export async function gatewayClient(command: Command): Promise<GatewayClient> {
  const options = command.opts<GatewayOptions>();
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw usageError(`--url ${options.url} is not a URL`, 'give the gateway as http://host:port');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw usageError(`--url ${options.url} is not http(s)`, 'give the gateway as http://host:port');
  return new GatewayClient(base, await apiKey(command, options));
}

async function apiKey(command: Command, options: GatewayOptions): Promise<string> {
  const fromCli = (name: 'key' | 'keyFile') => command.getOptionValueSource(name) === 'cli';
  if (fromCli('key') && fromCli('keyFile'))
    throw usageError('--key and --key-file both name an API key', 'give one of them');
  const key =
    (fromCli('key') && options.key) ||
    (fromCli('keyFile') && options.keyFile && (await keyFromFile(options.keyFile))) ||
    options.key ||
    (options.keyFile && (await keyFromFile(options.keyFile)));
  if (!key)
    throw new CliError(
      ExitCode.usage,
      'no_api_key',
      'no API key given',
      'set CONVERGIO_API_KEY, or pass --key-file <file> (`npm start` writes the admin key to data/admin-key)',
    );
  return key;
}

async function keyFromFile(file: string): Promise<string> {
  const key = (await readLocalFile(file, 'the API key file')).toString('utf8').trim();
  if (!key)
    throw new CliError(
      ExitCode.input,
      'api_key_file_empty',
      `${file} is empty`,
      'the file holds the key the gateway gave when it was created',
    );
  return key;
}
