/** The PostgreSQL schema the secret broker owns. */
export const SECRET_BROKER_SCHEMA = 'secret_broker';
export const SECRET_BROKER_SERVICE = 'secret-broker';
/** Injection token of the broker's SecretBrokerSettings. */
export const SECRET_BROKER_SETTINGS = Symbol('SECRET_BROKER_SETTINGS');
