import type { Command } from 'commander';
import type { VersionState, VersionStatus } from '@convergio/contracts';
import { CliError, ExitCode } from '../exit-codes.js';
import { pathOf } from '../gateway/gateway-client.js';
import { gatewayClient, withGatewayOptions } from '../gateway/gateway-options.js';
import { multipartBody, type FilePart } from '../gateway/multipart-body.js';
import { uploadProgress } from '../gateway/upload-progress.js';
import { integerIn } from '../option-parsers.js';
import { describeFailure, note, printResult, shown } from '../output.js';
import { readPackage } from '../package/package-sources.js';
import type { PluginPackage } from '../package/plugin-package.js';
import { findingsView } from '../state-views.js';
import {
  approvedButNotRunning,
  waitedFields,
  waitedView,
  type WaitedFields,
} from '../wait-outcome.js';

/** The gateway's longest `?wait=`, seconds. */
const MAX_WAIT_SECONDS = 120;
interface SubmitOptions {
  sbom?: string;
  wait?: number;
  json?: boolean;
}

interface SubmitReply extends Partial<WaitedFields> {
  plugin_id: string;
  version: string;
  status: VersionStatus;
}

export function registerSubmit(program: Command): void {
  withGatewayOptions(
    program
      .command('submit')
      .summary('submit a plugin version (publisher key)')
      .description(
        'Checks the package as `pack` does, uploads plugin.json, the module and the SBOM (if any) ' +
          "as multipart to POST /v1/plugins, and prints the version's status. With --wait the " +
          'gateway answers as soon as the outcome is known: approved and loaded (exit 0), ' +
          'approved but not loaded (its load failed, the reason printed, or the operator policy ' +
          'refuses it: exit 6), pending_approval (an admin decides: exit 0) or rejected (its ' +
          'findings are printed: exit 1); a wait that runs out first exits 5. The upload shows ' +
          'a progress line on stderr when stderr is a terminal, a final line otherwise.',
      )
      .argument(
        '<package...>',
        'a package directory, a .tgz from `convergio pack`, or plugin.json and module.wasm',
      )
      .option(
        '--sbom <file>',
        "a CycloneDX JSON SBOM to send (replaces the package's sbom.cdx.json)",
      )
      .option(
        '--wait <seconds>',
        `wait up to this long (0-${MAX_WAIT_SECONDS}) for the final state`,
        integerIn(0, MAX_WAIT_SECONDS),
      )
      .addHelpText(
        'after',
        `
Examples:
  convergio submit ./my-plugin --wait 60
  convergio submit example.greet-1.0.0.tgz --wait 60 --json
  convergio submit plugin.json build/greet.wasm --sbom sbom.cdx.json`,
      ),
  ).action(async (paths: string[], options: SubmitOptions, command: Command) => {
    const pkg = await readPackage('submit', paths, options.sbom);
    const client = await gatewayClient(command);
    const reply = await client.call<SubmitReply>({
      method: 'POST',
      path: '/v1/plugins',
      query: { wait: options.wait },
      upload: multipartBody(partsOf(pkg)),
      onUpload: uploadProgress(process.stderr),
      waitSeconds: options.wait,
    });
    const ref = shown(`${reply.plugin_id} ${reply.version}`);
    if (reply.status === 'rejected') {
      const state = await client.call<VersionState>({
        method: 'GET',
        path: pathOf('v1', 'plugins', reply.plugin_id, 'versions', reply.version),
      });
      printResult(options.json ?? false, { ...reply, findings: state.findings }, () =>
        [`${ref}: rejected`, ...findingsView('findings', state.findings)].join('\n'),
      );
      note(
        describeFailure(
          new CliError(
            ExitCode.refused,
            'rejected',
            `${ref} was rejected`,
            'fix what the findings name, raise "version" in plugin.json, sign and submit again',
          ),
        ),
      );
      process.exitCode = ExitCode.refused;
      return;
    }
    const waited = options.wait === undefined ? undefined : waitedFields(reply);
    printResult(options.json ?? false, reply, () =>
      [
        `${ref}: ${reply.status}`,
        ...(waited && reply.status === 'approved' ? waitedView(waited) : []),
      ].join('\n'),
    );
    const failure =
      waited && (reply.status === 'approved' || !waited.settled)
        ? approvedButNotRunning(ref, reply.status, waited, options.wait!)
        : undefined;
    if (failure) {
      note(describeFailure(failure));
      process.exitCode = failure.exit;
    } else if (!options.json && reply.status === 'pending_approval')
      note(
        `an admin decides: \`convergio approve ${ref}\` or \`convergio reject ${ref} --reason <text>\``,
      );
    else if (!options.json && options.wait === undefined)
      note(`follow it with \`convergio status ${ref}\`, or submit with --wait <seconds>`);
  });
}

function partsOf(pkg: PluginPackage): FilePart[] {
  return [
    {
      field: 'manifest',
      filename: 'plugin.json',
      contentType: 'application/json',
      bytes: pkg.manifestText,
    },
    {
      field: 'module',
      filename: pkg.moduleName,
      contentType: 'application/wasm',
      bytes: pkg.module,
    },
    ...(pkg.sbom
      ? [
          {
            field: 'sbom',
            filename: 'sbom.cdx.json',
            contentType: 'application/vnd.cyclonedx+json',
            bytes: pkg.sbom,
          },
        ]
      : []),
  ];
}
