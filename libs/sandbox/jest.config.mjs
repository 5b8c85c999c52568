import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('sandbox', import.meta.dirname);
