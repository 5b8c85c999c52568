import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('observability', import.meta.dirname);
