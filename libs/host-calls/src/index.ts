export { createHostFunctions, mainThreadOps } from './host-functions.js';
export { closePluginSockets, pluginSocketKey } from './net/index.js';
