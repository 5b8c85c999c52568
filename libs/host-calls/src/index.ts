export { createHostFunctions, mainThreadOps } from './host-functions.js';
