/** The PostgreSQL schema the registry owns. */
export const REGISTRY_SCHEMA = 'registry';
export const REGISTRY_SERVICE = 'registry';
