import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('sbom', import.meta.dirname);
