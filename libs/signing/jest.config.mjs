import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('signing', import.meta.dirname);
