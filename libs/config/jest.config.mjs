import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('config', import.meta.dirname);
