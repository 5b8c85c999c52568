import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('runtime', import.meta.dirname);
