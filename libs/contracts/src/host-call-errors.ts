/**
 * Every `error.code` a host function of the plugin ABI can hand back to a plugin (as a result,
 * never a trap). Closed: a host function returning any other code does not compile, and
 * docs/plugin-abi.md lists, per function, the codes it can return.
 */
export const HOST_CALL_ERROR_CODES = [
  /** Refused by the grants or the operator policy; recorded as permission.denied. */
  'permission_denied',
  /** The input has the wrong shape (network, log). */
  'invalid_input',
  'not_found',
  /** A file appeared while fs_write was creating it. */
  'conflict',
  'io_error',
  'payload_too_large',
  'timeout',
  /** The call ended (wall time, plugin closed) while a network operation was waiting. */
  'aborted',
  'network_error',
  'too_many_redirects',
  'too_many_sockets',
  'unknown_socket',
  'socket_closed',
  /** A bug of the host function; the plugin's call goes on. */
  'internal',
  // From the sandbox's wrapper, for every function:
  /** The input is not JSON. */
  'bad_request',
  /** The host function threw or returned something that is not JSON. */
  'host_error',
  /** The result does not fit under the call's memory cap. */
  'memory_limit',
  /** The call already made `max_host_calls` host calls. */
  'host_call_limit',
] as const;

/** One code of {@link HOST_CALL_ERROR_CODES}. */
export type HostCallErrorCode = (typeof HOST_CALL_ERROR_CODES)[number];
