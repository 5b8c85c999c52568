import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('executor', import.meta.dirname);
