import { chmod } from 'node:fs/promises';
import type { Command } from 'commander';
import { encodeBase64url, generateSignerKeys } from '@convergio/signing';
import { writeLocalFile } from '../local-files.js';
import { note, printResult } from '../output.js';

interface KeygenOptions {
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerKeygen(program: Command): void {
  program
    .command('keygen')
    .summary('create an Ed25519 signing key')
    .description(
      'Writes a new Ed25519 secret key to --out (mode 0600; one line of unpadded base64url) and ' +
        'prints its public key as unpadded base64url: the public_key of a keyring entry ' +
        '(POST /v1/signers {"id", "public_key", "trust"}). Keep the secret key out of version control.',
    )
    .requiredOption('--out <file>', 'where to write the secret key')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print {"public_key", "secret_key_file"} on stdout')
    .addHelpText(
      'after',
      `
Examples:
  convergio keygen --out ~/.convergio/acme.key
  PUBLIC_KEY=$(convergio keygen --out signer.key)`,
    )
    .action(async (options: KeygenOptions) => {
      const { secretKey, publicKey } = generateSignerKeys();
      await writeLocalFile(options.out, `${encodeBase64url(secretKey)}\n`, {
        mode: 0o600,
        flag: options.force ? 'w' : 'wx',
      });
      // The mode applies to a new file only; a replaced one keeps its own unless set again.
      if (options.force) await chmod(options.out, 0o600);
      const result = { public_key: encodeBase64url(publicKey), secret_key_file: options.out };
      printResult(options.json ?? false, result, () => result.public_key);
      if (!options.json)
        note(
          `wrote the secret key to ${options.out} (mode 0600); its public key, printed on stdout, is what an admin adds to the keyring (POST /v1/signers)`,
        );
    });
}
