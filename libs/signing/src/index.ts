export * from './codes.js';
export * from './json-data.js';
export * from './parse-manifest-text.js';
export * from './canonical-json.js';
