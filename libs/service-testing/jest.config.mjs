import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('service-testing', import.meta.dirname);
