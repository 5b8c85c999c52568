/** The PostgreSQL schema the verification service owns. */
export const VERIFICATION_SCHEMA = 'verification';
export const VERIFICATION_SERVICE = 'verification';
