// A plugin that tries what hostile plugins try: the attack suite drives it.
// `call_host` takes {"fn":"<host function>","arg":<JSON argument>} (keys in that order, as
// JSON.stringify writes them) and returns the host's JSON answer verbatim.
import { Host, Memory } from '@extism/as-pdk';
import { free, length } from '@extism/as-pdk/lib/env';
import './abort';
import { quoteJson, readStringField } from './json';
import { reportError } from './report-error';

@external('extism:host/user', 'fs_read') declare function fs_read(o: u64): u64;
@external('extism:host/user', 'fs_write') declare function fs_write(o: u64): u64;
@external('extism:host/user', 'fs_list') declare function fs_list(o: u64): u64;
@external('extism:host/user', 'http_request') declare function http_request(o: u64): u64;
@external('extism:host/user', 'ws_connect') declare function ws_connect(o: u64): u64;
@external('extism:host/user', 'proc_exec') declare function proc_exec(o: u64): u64;
@external('extism:host/user', 'secret_get') declare function secret_get(o: u64): u64;
@external('extism:host/user', 'telemetry_emit') declare function telemetry_emit(o: u64): u64;
@external('extism:host/user', 'log') declare function log(o: u64): u64;

function dispatch(name: string, arg: u64): u64 {
  if (name == 'fs_read') return fs_read(arg);
  if (name == 'fs_write') return fs_write(arg);
  if (name == 'fs_list') return fs_list(arg);
  if (name == 'http_request') return http_request(arg);
  if (name == 'ws_connect') return ws_connect(arg);
  if (name == 'proc_exec') return proc_exec(arg);
  if (name == 'secret_get') return secret_get(arg);
  if (name == 'telemetry_emit') return telemetry_emit(arg);
  return log(arg);
}

/** Calls one host function with a JSON argument and returns its answer. */
export function call_host(): i32 {
  const input = Host.inputString();
  const nameStart = input.indexOf('"fn":"') + 6;
  const name = input.substring(nameStart, input.indexOf('"', nameStart));
  const arg = Memory.allocateString(input.substring(input.indexOf('"arg":') + 6, input.length - 1));
  const reply = dispatch(name, arg.offset);
  Host.output(loadBytes(reply));
  free(reply);
  arg.free();
  return 0;
}

function loadBytes(offset: u64): Uint8Array {
  return new Memory(offset, length(offset)).toUint8Array();
}

/** Recurses until the stack runs out. */
export function recurse(): i32 {
  return recurse() + 1;
}

/** Calls `log` a million times. */
export function flood(): i32 {
  const line = Memory.allocateString('{"level":"debug","message":"flood"}');
  for (let i = 0; i < 1_000_000; i++) free(log(line.offset));
  return 0;
}

/** Tries to answer 100 MiB. */
export function big_output(): i32 {
  Host.output(new Uint8Array(100 * 1024 * 1024));
  return 0;
}

/** Says hello: proves the plugin still works after an attack. */
export function ping(): i32 {
  Host.outputString('"pong"');
  return 0;
}

/**
 * `{"id": "<secret id>", "file"?: "<path>", "fail"?: ...}`: reads the secret and tries to leak its
 * value every way a plugin can: a log line, a telemetry attribute, a file (with `file`, for a
 * later version to read back), and its output (or, with `fail`, its error). Without a value it
 * answers the host's reply to secret_get verbatim.
 */
export function leak_secret(): i32 {
  const input = Host.inputString();
  const id = readStringField(input, 'id').value;
  const reply = hostCall('secret_get', '{"id":' + quoteJson(id === null ? '' : id) + '}');
  const value = readStringField(reply, 'value').value;
  if (value === null) {
    Host.output(Uint8Array.wrap(String.UTF8.encode(reply)));
    return 0;
  }
  hostCall('log', '{"level":"info","message":' + quoteJson('the secret is ' + value) + '}');
  hostCall('telemetry_emit', '{"name":"leak","attributes":{"v":' + quoteJson(value) + '}}');
  const file = readStringField(input, 'file').value;
  if (file !== null)
    hostCall('fs_write', '{"path":' + quoteJson(file) + ',"content":' + quoteJson(value) + '}');
  if (input.includes('"fail"')) return reportError('cannot go on with ' + value);
  Host.output(Uint8Array.wrap(String.UTF8.encode('{"leaked":' + quoteJson(value) + '}')));
  return 0;
}

function hostCall(name: string, json: string): string {
  const arg = Memory.allocateString(json);
  const reply = dispatch(name, arg.offset);
  const text = String.UTF8.decode(loadBytes(reply).buffer);
  free(reply);
  arg.free();
  return text;
}
