import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('audit', import.meta.dirname);
