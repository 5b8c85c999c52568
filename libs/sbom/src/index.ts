export * from './codes.js';
export * from './osv-database.js';
export * from './check-sbom.js';
export { SBOM_LIMITS, type SbomLimits } from './sbom-document.js';
export { CYCLONEDX_SPEC_VERSIONS } from './cyclonedx-schema.js';
