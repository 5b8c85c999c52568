import type { Command } from 'commander';
import {
  decodeBase64url,
  ED25519_KEY_BYTES,
  encodeBase64url,
  parseManifestText,
  signerPublicKey,
  signManifest,
  SigningError,
} from '@convergio/signing';
import { CliError, ExitCode } from '../exit-codes.js';
import { readLocalFile, writeLocalFile } from '../local-files.js';
import { note, printResult } from '../output.js';

interface SignOptions {
  key: string;
  signer: string;
  out?: string;
  json?: boolean;
}

export function registerSign(program: Command): void {
  program
    .command('sign')
    .summary('sign plugin.json for its module')
    .description(
      'Fills "signing" of plugin.json: sha256 (the module\'s hex SHA-256), signer_id and an ' +
        'Ed25519 signature of the canonical manifest, then checks the new signature. Writes the ' +
        'signed plugin.json to --out (which may be the input itself), or to stdout. A manifest ' +
        'the platform would refuse to read is refused with the signing code (e.g. ' +
        'manifest_duplicate_key, manifest_unsafe_number) and exit status 4.',
    )
    .argument('<plugin.json>', 'the manifest to sign')
    .argument('<module.wasm>', 'the module it describes')
    .requiredOption('--key <file>', 'the secret key file `convergio keygen` wrote')
    .requiredOption('--signer <id>', "the signer's id in the platform's keyring (1-200 characters)")
    .option('--out <file>', 'write the signed manifest here instead of stdout')
    .option(
      '--json',
      'with --out, print {"file", "plugin_id", "version", "signer_id", "sha256", "public_key"}',
    )
    .addHelpText(
      'after',
      `
Examples:
  convergio sign plugin.json build/greet.wasm --key signer.key --signer acme --out plugin.json
  convergio sign plugin.json build/greet.wasm --key signer.key --signer acme > signed.json`,
    )
    .action(async (manifestFile: string, moduleFile: string, options: SignOptions) => {
      const secretKey = await readSecretKey(options.key);
      const parsed = parseManifestText(await readLocalFile(manifestFile, 'the manifest'));
      if (!parsed.ok)
        throw new CliError(
          ExitCode.input,
          parsed.code,
          `${manifestFile}: ${parsed.message}${parsed.path ? ` (at ${parsed.path})` : ''}`,
          'fix plugin.json, then sign again',
          parsed.details,
        );
      const module = await readLocalFile(moduleFile, 'the module');
      const signed = signOrExplain(parsed.value, module, secretKey, options.signer);
      const text = `${JSON.stringify(signed, null, 2)}\n`;
      if (!options.out) {
        process.stdout.write(text);
        return;
      }
      await writeLocalFile(options.out, text);
      const summary = {
        file: options.out,
        plugin_id: signed.id,
        version: signed.version,
        signer_id: signed.signing.signer_id,
        sha256: signed.signing.sha256,
        public_key: encodeBase64url(signerPublicKey(secretKey)),
      };
      printResult(options.json ?? false, summary, () => '');
      if (!options.json)
        note(
          `signed ${String(signed.id)} ${String(signed.version)} as ${options.signer} into ${options.out}`,
        );
    });
}

function signOrExplain(manifest: unknown, module: Buffer, secretKey: Uint8Array, signer: string) {
  try {
    return signManifest(manifest as Record<string, unknown>, module, secretKey, signer);
  } catch (error) {
    if (!(error instanceof SigningError)) throw error;
    throw new CliError(
      ExitCode.input,
      error.code,
      `${error.message}${error.path ? ` (at ${error.path})` : ''}`,
      error.code === 'signing_malformed' ? 'fix "signing" in plugin.json or --signer' : undefined,
    );
  }
}

async function readSecretKey(file: string): Promise<Uint8Array> {
  const text = (await readLocalFile(file, 'the secret key file')).toString('utf8').trim();
  const key = decodeBase64url(text);
  if (key?.length !== ED25519_KEY_BYTES)
    throw new CliError(
      ExitCode.input,
      'signer_key_invalid',
      `${file} does not hold an Ed25519 secret key (${ED25519_KEY_BYTES} bytes as unpadded base64url)`,
      'name the file `convergio keygen --out <file>` wrote',
    );
  return key;
}
