export * from './codes.js';
export * from './json-data.js';
export * from './parse-manifest-text.js';
export * from './canonical-json.js';
export * from './base64url.js';
export * from './ed25519.js';
export * from './manifest-signature.js';
