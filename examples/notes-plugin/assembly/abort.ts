import { reportError } from './report-error';

// The host provides no `env.abort`: an AssemblyScript abort (failed assertion, thrown error)
// becomes an Extism plugin error followed by a trap, so the call rejects with the message.
export function myAbort(
  message: string | null,
  fileName: string | null,
  line: u32,
  column: u32,
): void {
  reportError(message === null ? 'abort' : message);
  unreachable();
}
