import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('registry', import.meta.dirname);
