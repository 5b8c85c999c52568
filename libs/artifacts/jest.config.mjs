import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('artifacts', import.meta.dirname);
