/** The PostgreSQL schema the secret broker owns. */
export const SECRET_BROKER_SCHEMA = 'secret_broker';
export const SECRET_BROKER_SERVICE = 'secret-broker';
