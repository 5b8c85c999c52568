import 'reflect-metadata';
import { runProvisioning } from './run-provisioning.js';

process.exitCode = await runProvisioning(process.env, process.stdout, process.stderr);
