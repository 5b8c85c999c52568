/** Names the instrumentation adds; a plugin may not export names with this prefix. */
export const RESERVED_EXPORT_PREFIX = '__convergio_';
/** Exported mutable i64 global holding the fuel the running call has left. */
export const FUEL_GLOBAL_EXPORT = `${RESERVED_EXPORT_PREFIX}fuel`;
/** The module's start function, exported instead of run at instantiation, so it runs metered. */
export const START_EXPORT = `${RESERVED_EXPORT_PREFIX}start`;
