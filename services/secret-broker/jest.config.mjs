import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('secret-broker', import.meta.dirname);
