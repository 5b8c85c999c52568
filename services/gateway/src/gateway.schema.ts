/** The PostgreSQL schema the gateway owns (API keys). */
export const GATEWAY_SCHEMA = 'gateway';
export const GATEWAY_SERVICE = 'gateway';
