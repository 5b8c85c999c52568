import { Host } from '@extism/as-pdk';
// Brings myAbort into the program for `--use abort=assembly/abort/myAbort`.
import './abort';
import { quoteJson, readStringField } from './json';
import { reportError } from './report-error';

/** Tool `greet`: `{"name": "Ada"}` → `{"greeting": "Hello, Ada!"}`. */
export function greet(): i32 {
  const input = readStringField(String.UTF8.decode(Host.input().buffer), 'name');
  if (!input.valid) return reportError('input must be a JSON object');
  const name = input.value;
  if (name === null) return reportError('name is required');
  if (name.length == 0) return reportError('name is required');
  const output = '{"greeting":' + quoteJson('Hello, ' + name + '!') + '}';
  // Host.outputString passes the UTF-16 length, which is wrong for non-ASCII names.
  Host.output(Uint8Array.wrap(String.UTF8.encode(output)));
  return 0;
}
