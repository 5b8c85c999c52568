export { createHostFunctions, createMainThreadOps } from './host-functions.js';
export { closeInstanceSockets } from './net/index.js';
export { dnsServersResolver, systemResolver, type Resolver } from './net/index.js';
