// A worker thread that runs one checkModuleContent (module-content-checker.ts) and posts its
// findings: the input arrives as workerData, the answer is one message.
import { parentPort, workerData } from 'node:worker_threads';
import { checkModuleContent, type ModuleContentInput } from './module-content-check.js';

parentPort!.postMessage(await checkModuleContent(workerData as ModuleContentInput));
