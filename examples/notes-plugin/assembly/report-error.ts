import { Memory } from '@extism/as-pdk';
import { error_set } from '@extism/as-pdk/lib/env';

/** Makes the current call reject with `message`; returns the non-zero code the export should return. */
export function reportError(message: string): i32 {
  error_set(Memory.allocateString(message).offset);
  return 1;
}
