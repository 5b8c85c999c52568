/** Injection token of the core version plugins are checked against. */
export const CORE_VERSION = Symbol('CORE_VERSION');
/** Injection token of the operator grant policy and protected paths (`PlatformGrants`). */
export const PLATFORM_GRANTS = Symbol('PLATFORM_GRANTS');
/** Injection token of how large and deep tool input schemas may be (`InputSchemaBounds`). */
export const INPUT_SCHEMA_BOUNDS = Symbol('INPUT_SCHEMA_BOUNDS');
