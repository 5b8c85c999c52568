import { projectConfig } from '../../jest.preset.mjs';
export default projectConfig('provisioner', import.meta.dirname);
