/** The PostgreSQL schema the executor owns. */
export const EXECUTOR_SCHEMA = 'executor';
export const EXECUTOR_SERVICE = 'executor';
