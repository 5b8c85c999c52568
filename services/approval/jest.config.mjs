import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('approval', import.meta.dirname);
