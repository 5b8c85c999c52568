export { createHostFunctions, mainThreadOps } from './host-functions.js';
export { closeInstanceSockets } from './net/index.js';
export { dnsServersResolver, useResolver, type Resolver } from './net/index.js';
