import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('verification', import.meta.dirname);
