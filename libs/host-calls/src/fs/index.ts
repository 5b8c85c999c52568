export { fsListFunction } from './fs-list.js';
export { fsReadFunction } from './fs-read.js';
export { fsWriteFunction } from './fs-write.js';
