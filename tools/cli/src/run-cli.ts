import { CommanderError } from 'commander';
import { CliError, ExitCode, usageError } from './exit-codes.js';
import { describeFailure, failureDocument } from './output.js';
import { buildProgram } from './program.js';

/**
 * Runs the CLI on `argv` (process.argv) and returns the exit status. Every failure is printed
 * here, once: `convergio: <code>: <message>` and a hint on stderr, and with --json also
 * `{"error": ...}` on stdout. No stack trace unless CONVERGIO_DEBUG is set.
 */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.ok);
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return ExitCode.ok;
    const failure = asCliError(
      error,
      commandName(
        program.commands.map((c) => c.name()),
        argv,
      ),
    );
    if (argv.includes('--json'))
      process.stdout.write(`${JSON.stringify(failureDocument(failure), null, 2)}\n`);
    process.stderr.write(`${describeFailure(failure)}\n`);
    if (process.env.CONVERGIO_DEBUG && error instanceof Error && !(error instanceof CliError))
      process.stderr.write(`${error.stack}\n`);
    return failure.exit;
  }
}

function asCliError(error: unknown, command: string | undefined): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof CommanderError)
    return usageError(
      // commander.help: run without a command; the help went to stderr already.
      error.code === 'commander.help' ? 'no command given' : error.message.replace(/^error: /, ''),
      `see \`convergio ${command ? `${command} ` : ''}--help\``,
    );
  return new CliError(
    ExitCode.internal,
    'internal',
    error instanceof Error ? error.message : String(error),
    'a bug in the CLI: please report it with the command you ran (CONVERGIO_DEBUG=1 prints the stack)',
  );
}

/** The subcommand named in argv, for the hint of a usage error. */
function commandName(names: string[], argv: string[]): string | undefined {
  const first = argv.slice(2).find((arg) => !arg.startsWith('-'));
  return first && names.includes(first) ? first : undefined;
}
