// Worker threads do not inherit tsx's loader in Node 20: register it, then load the
// TypeScript worker named in workerData.entry (see generator.ts).
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
