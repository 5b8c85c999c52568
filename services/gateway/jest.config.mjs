import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('gateway', import.meta.dirname);
