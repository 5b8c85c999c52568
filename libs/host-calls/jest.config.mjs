import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('host-calls', import.meta.dirname);
