import type { Command } from 'commander';
import { Option } from 'commander';
import { pathOf } from '../gateway/gateway-client.js';
import { gatewayClient, withGatewayOptions } from '../gateway/gateway-options.js';
import { integerIn } from '../option-parsers.js';
import { describeFailure, note, printResult } from '../output.js';
import { decisionView, type ApprovalItem } from '../state-views.js';
import {
  approvedButNotRunning,
  waitedFields,
  waitedView,
  type WaitedFields,
} from '../wait-outcome.js';

const MAX_WAIT_SECONDS = 120;

interface ApproveOptions {
  trust?: 'trusted' | 'official';
  note?: string;
  wait?: number;
  json?: boolean;
}

export function registerApprove(program: Command): void {
  withGatewayOptions(
    program
      .command('approve')
      .summary('approve a version waiting for an admin (admin key)')
      .description(
        'Approves a pending_approval version (POST /v1/approvals/{id}/{version}/approve). With ' +
          '--wait the gateway answers as soon as an executor has loaded it (the next call runs ' +
          'it) or its load failed: a load that failed, or an operator policy that refuses it, ' +
          'exits 6 with the reason; a wait that runs out first exits 5.',
      )
      .argument('<plugin-id>')
      .argument('<version>')
      .addOption(
        new Option(
          '--trust <level>',
          "designate a signed version's trust, up to its signer's (default: untrusted)",
        ).choices(['trusted', 'official']),
      )
      .option('--note <text>', 'why, for the audit log (at most 2000 characters)')
      .option(
        '--wait <seconds>',
        `wait up to this long (0-${MAX_WAIT_SECONDS}) until an executor runs it`,
        integerIn(0, MAX_WAIT_SECONDS),
      )
      .addHelpText(
        'after',
        `
Example:
  convergio approve example.greet 1.1.0 --note "host reviewed" --wait 30`,
      ),
  ).action(async (id: string, version: string, options: ApproveOptions, command: Command) => {
    const client = await gatewayClient(command);
    const decision = await client.call<ApprovalItem & Partial<WaitedFields>>({
      method: 'POST',
      path: pathOf('v1', 'approvals', id, version, 'approve'),
      query: { wait: options.wait },
      json: {
        ...(options.note !== undefined && { note: options.note }),
        ...(options.trust && { trust: options.trust }),
      },
      waitSeconds: options.wait,
    });
    const waited = options.wait ? waitedFields(decision) : undefined;
    printResult(options.json ?? false, decision, () =>
      [decisionView(decision), ...(waited ? waitedView(waited) : [])].join('\n'),
    );
    if (decision.status === 'pending')
      note(
        `${id} ${version} needs the approval of a second, different admin (proc.exec or trust above untrusted): your approval is recorded`,
      );
    const failure =
      waited && approvedButNotRunning(`${id} ${version}`, 'approved', waited, options.wait!);
    if (failure) {
      note(describeFailure(failure));
      process.exitCode = failure.exit;
    }
  });
}

export function registerReject(program: Command): void {
  withGatewayOptions(
    program
      .command('reject')
      .summary('reject a version waiting for an admin (admin key)')
      .description(
        'Rejects a pending_approval version (POST /v1/approvals/{id}/{version}/reject); the ' +
          'reason becomes its finding rejected_by_admin and goes to the audit log.',
      )
      .argument('<plugin-id>')
      .argument('<version>')
      .requiredOption('--reason <text>', 'why, shown to the publisher (1-2000 characters)')
      .addHelpText(
        'after',
        `
Example:
  convergio reject example.greet 1.1.0 --reason "api.example.com is not needed"`,
      ),
  ).action(
    async (
      id: string,
      version: string,
      options: { reason: string; json?: boolean },
      command: Command,
    ) => {
      const client = await gatewayClient(command);
      const decision = await client.call<ApprovalItem>({
        method: 'POST',
        path: pathOf('v1', 'approvals', id, version, 'reject'),
        json: { reason: options.reason },
      });
      printResult(options.json ?? false, decision, () => decisionView(decision));
    },
  );
}
