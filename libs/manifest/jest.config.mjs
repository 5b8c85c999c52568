import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('manifest', import.meta.dirname);
