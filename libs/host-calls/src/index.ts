export { createHostFunctions, mainThreadOps } from './host-functions.js';
export { closeInstanceSockets } from './net/index.js';
