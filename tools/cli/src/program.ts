import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerAudit } from './commands/audit.command.js';
import { registerApprove, registerReject } from './commands/decide.command.js';
import { registerInvoke } from './commands/invoke.command.js';
import { registerKeygen } from './commands/keygen.command.js';
import { registerPack } from './commands/pack.command.js';
import { registerSign } from './commands/sign.command.js';
import { registerStatus } from './commands/status.command.js';
import { registerSubmit } from './commands/submit.command.js';
import { registerVerify } from './commands/verify.command.js';
import { EXIT_CODE_HELP } from './exit-codes.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

const ENVIRONMENT_HELP = `Environment (commands that talk to the gateway):
  CONVERGIO_URL           the gateway, instead of --url (default http://127.0.0.1:3000)
  CONVERGIO_API_KEY       the API key, instead of --key
  CONVERGIO_API_KEY_FILE  a file holding the API key, instead of --key-file`;

/**
 * The `convergio` program. Commander reports usage errors by throwing (exitOverride) and writes
 * nothing itself, so that every failure leaves through one place in the same form.
 */
export function buildProgram(): Command {
  const program = new Command('convergio')
    .description(
      'The Convergio plugin platform from the shell: signing keys, signed manifests and packages ' +
        'offline; submissions, approvals, calls and the audit log through the gateway.',
    )
    .version(version, '-V, --version', 'print the CLI version')
    .helpOption('-h, --help', 'show help for a command')
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError()
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODE_HELP}`);
  program.helpCommand('help [command]', 'show help for a command');
  registerKeygen(program);
  registerSign(program);
  registerVerify(program);
  registerPack(program);
  registerSubmit(program);
  registerStatus(program);
  registerApprove(program);
  registerReject(program);
  registerInvoke(program);
  registerAudit(program);
  for (const command of program.commands)
    if (command.name() !== 'help') command.addHelpText('after', `\n${EXIT_CODE_HELP}`);
  return program;
}
