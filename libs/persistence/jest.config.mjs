import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('persistence', import.meta.dirname);
