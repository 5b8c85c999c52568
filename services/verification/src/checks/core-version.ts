/** Injection token of the core version plugins are checked against. */
export const CORE_VERSION = Symbol('CORE_VERSION');
