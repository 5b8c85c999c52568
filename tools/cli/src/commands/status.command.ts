import type { Command } from 'commander';
import { pathOf } from '../gateway/gateway-client.js';
import { gatewayClient, withGatewayOptions } from '../gateway/gateway-options.js';
import { note, printResult } from '../output.js';
import { pluginView, versionView, type PluginState, type VersionState } from '../state-views.js';

export function registerStatus(program: Command): void {
  withGatewayOptions(
    program
      .command('status')
      .summary("show a plugin's versions, or one version's state (any key)")
      .description(
        'Without a version: the plugin, its owner, the version calls run by default and each ' +
          "version's status, newest first (GET /v1/plugins/{id}); when more versions follow, a " +
          "note on stderr gives the --cursor of the next page. With one: that version's status, " +
          'whether an executor runs it, trust, permissions and findings ' +
          '(GET /v1/plugins/{id}/versions/{version}).',
      )
      .argument('<plugin-id>', 'e.g. example.greet')
      .argument('[version]', 'e.g. 1.0.0')
      .option('--cursor <cursor>', 'the next page of versions, as the previous page named it')
      .addHelpText(
        'after',
        `
Examples:
  convergio status example.greet
  convergio status example.greet 1.1.0 --json`,
      ),
  ).action(
    async (
      id: string,
      version: string | undefined,
      options: { json?: boolean; cursor?: string },
      command: Command,
    ) => {
      const client = await gatewayClient(command);
      if (version === undefined) {
        const plugin = await client.call<PluginState>({
          method: 'GET',
          path: pathOf('v1', 'plugins', id),
          query: { cursor: options.cursor },
        });
        printResult(options.json ?? false, plugin, () => pluginView(plugin));
        if (!options.json && plugin.next_cursor !== null)
          note(`more versions follow: add --cursor ${plugin.next_cursor}`);
        return;
      }
      const state = await client.call<VersionState>({
        method: 'GET',
        path: pathOf('v1', 'plugins', id, 'versions', version),
      });
      printResult(options.json ?? false, state, () => versionView(state));
    },
  );
}
