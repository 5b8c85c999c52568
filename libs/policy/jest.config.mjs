import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('policy', import.meta.dirname);
