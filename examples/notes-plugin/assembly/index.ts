// Tools `save` and `read`: notes kept as files in the plugin's own directory ($PLUGIN_DIR),
// through the host functions fs_write, fs_read and log. The manifest grants fs.read and
// fs.write on $PLUGIN_DIR; every other path is refused by the host.
import { Host } from '@extism/as-pdk';
// Brings myAbort into the program for `--use abort=../greet-plugin/assembly/abort/myAbort`.
import '../../greet-plugin/assembly/abort';
import { callHost } from './host';
import { quoteJson, readStringField } from '../../greet-plugin/assembly/json';
import { reportError } from '../../greet-plugin/assembly/report-error';

/** `{"name": "todo", "text": "..."}` → `{"size": <bytes written>}`. */
export function save(): i32 {
  const input = String.UTF8.decode(Host.input().buffer);
  const name = readStringField(input, 'name');
  const text = readStringField(input, 'text');
  if (!name.valid || name.value === null || text.value === null)
    return reportError('input must be {"name": string, "text": string}');
  const written = callHost(
    'fs_write',
    '{"path":' + quoteJson(notePath(name.value!)) + ',"content":' + quoteJson(text.value!) + '}',
  );
  // A refusal or a failure is a result, not a trap: here it fails the call with the host's answer.
  if (written.failed) return reportError('fs_write: ' + written.json);
  callHost('log', '{"level":"info","message":' + quoteJson('saved note ' + name.value!) + '}');
  Host.output(Uint8Array.wrap(String.UTF8.encode(written.json)));
  return 0;
}

/** `{"name": "todo"}` → `{"content": "...", "size": <bytes>}`. */
export function read(): i32 {
  const name = readStringField(String.UTF8.decode(Host.input().buffer), 'name');
  if (!name.valid || name.value === null) return reportError('input must be {"name": string}');
  const found = callHost('fs_read', '{"path":' + quoteJson(notePath(name.value!)) + '}');
  if (found.failed) return reportError('fs_read: ' + found.json);
  Host.output(Uint8Array.wrap(String.UTF8.encode(found.json)));
  return 0;
}

// The executor replaces $PLUGIN_DIR with this plugin's own directory.
function notePath(name: string): string {
  return '$PLUGIN_DIR/' + name + '.txt';
}
