import { hostname } from 'node:os';

/** This executor process, as named in plugin.loaded, plugin.unloaded and plugin.policy_checked. */
export const INSTANCE = `${hostname()}-${process.pid}`;
