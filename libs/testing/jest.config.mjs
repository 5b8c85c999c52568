import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('testing', import.meta.dirname);
