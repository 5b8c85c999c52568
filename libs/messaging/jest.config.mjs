import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('messaging', import.meta.dirname);
