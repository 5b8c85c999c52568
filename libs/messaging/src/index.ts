export * from './bus-client.js';
export * from './bus-server.js';
export * from './bus-error.filter.js';
export * from './envelope-factory.js';
export * from './message-context.js';
export * from './in-process-hub.js';
export * from './nats-connection.js';
export * from './messaging.module.js';
