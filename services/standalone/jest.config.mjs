import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('standalone', import.meta.dirname);
