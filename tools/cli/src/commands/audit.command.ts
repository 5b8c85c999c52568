import { Option, type Command } from 'commander';
import { gatewayClient, withGatewayOptions } from '../gateway/gateway-options.js';
import { integerIn } from '../option-parsers.js';
import { note, printResult } from '../output.js';
import { auditEventView, type AuditPage } from '../state-views.js';

interface AuditOptions {
  plugin?: string;
  pluginVersion?: string;
  type?: string;
  cursor?: string;
  after?: number;
  limit: number;
  json?: boolean;
}

export function registerAudit(program: Command): void {
  withGatewayOptions(
    program
      .command('audit')
      .summary('read the audit log (auditor key)')
      .description(
        'Prints audit events in the order they were recorded, one line each (GET /v1/audit). ' +
          'When more events follow, a note on stderr gives the --cursor of the next page (the ' +
          'same filters with it); --json prints the page as the API returns it, its ' +
          '"next_cursor" null on the last page.',
      )
      .option('--plugin <id>', "only this plugin's events")
      .option('--plugin-version <version>', "only this version's events")
      .option('--type <type>', 'only events of this type, e.g. plugin.approved')
      .option('--cursor <cursor>', 'the next page, as the previous page named it')
      .addOption(
        new Option(
          '--after <seq>',
          'events recorded after this sequence number, e.g. to start at a head kept from `GET /v1/audit/verify`',
        )
          .argParser(integerIn(0, Number.MAX_SAFE_INTEGER))
          .conflicts('cursor'),
      )
      .option('--limit <n>', 'at most this many events (1-500)', integerIn(1, 500), 100)
      .addHelpText(
        'after',
        `
Examples:
  convergio audit --plugin example.greet
  convergio audit --type permission.denied --limit 20 --json
  convergio audit --plugin example.greet --cursor YTEuMTAw`,
      ),
  ).action(async (options: AuditOptions, command: Command) => {
    const client = await gatewayClient(command);
    const page = await client.call<AuditPage>({
      method: 'GET',
      path: '/v1/audit',
      query: {
        plugin_id: options.plugin,
        version: options.pluginVersion,
        type: options.type,
        cursor: options.cursor,
        after_seq: options.after,
        limit: options.limit,
      },
    });
    printResult(options.json ?? false, page, () => page.events.map(auditEventView).join('\n'));
    if (!options.json && page.next_cursor !== null)
      note(`more events follow: add --cursor ${page.next_cursor}`);
  });
}
