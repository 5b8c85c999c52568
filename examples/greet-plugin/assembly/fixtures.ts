// Misbehaving and trivial exports the sandbox tests run against real Extism.
import { Host } from '@extism/as-pdk';
// Brings myAbort into the program for `--use abort=assembly/abort/myAbort`.
import './abort';
import { reportError } from './report-error';

/** Returns its input unchanged. */
export function echo(): i32 {
  Host.output(Host.input());
  return 0;
}

/** Never returns: exercises the wall-time limit. */
export function spin(): i32 {
  let turns = 0;
  while (true) turns++;
  return turns;
}

/** Fails the call with the plugin error "boom". */
export function fail(): i32 {
  return reportError('boom');
}

/** Traps with `unreachable`. */
export function trap(): i32 {
  unreachable();
  return 0;
}

/** Grows linear memory until refused, then traps as an allocator out of memory does. */
export function membomb(): i32 {
  while (memory.grow(256) >= 0) {}
  unreachable();
  return 0;
}

/** Does nothing. */
export function noop(): i32 {
  return 0;
}
