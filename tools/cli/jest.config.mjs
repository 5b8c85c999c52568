import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('cli', import.meta.dirname);
