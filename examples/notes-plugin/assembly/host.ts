// The host functions this plugin calls (docs/plugin-abi.md). Each takes the offset of a JSON
// document in Extism memory and returns the offset of the host's JSON answer.
import { Memory } from '@extism/as-pdk';
import { free, length } from '@extism/as-pdk/lib/env';

@external('extism:host/user', 'fs_read') declare function fs_read(input: u64): u64;
@external('extism:host/user', 'fs_write') declare function fs_write(input: u64): u64;
@external('extism:host/user', 'log') declare function log(input: u64): u64;

/** A host function's answer: its JSON text, and whether it is `{"error": {...}}`. */
export class HostAnswer {
  constructor(
    public json: string,
    public failed: bool,
  ) {}
}

/** Calls the host function `name` with the JSON document `input` and returns its answer. */
export function callHost(name: string, input: string): HostAnswer {
  const request = Memory.allocateString(input);
  let reply: u64 = 0;
  if (name == 'fs_read') reply = fs_read(request.offset);
  else if (name == 'fs_write') reply = fs_write(request.offset);
  else reply = log(request.offset);
  request.free();
  // 0 means the answer did not fit under the call's memory cap.
  if (reply == 0) return new HostAnswer('{"error":{"code":"memory_limit"}}', true);
  const json = new Memory(reply, length(reply)).toString();
  free(reply);
  // The host writes an error as {"error": {"code": ..., "message": ...}} and nothing else does.
  return new HostAnswer(json, json.startsWith('{"error":'));
}
