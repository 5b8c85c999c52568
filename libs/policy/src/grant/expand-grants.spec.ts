import type { Permissions } from '@convergio/contracts';
import { expandPluginDirInGrants } from './expand-grants.js';

describe('expandPluginDirInGrants', () => {
  it('expands fs paths only, and leaves the input alone', () => {
    const permissions: Permissions = {
      'fs.read': { paths: ['$PLUGIN_DIR', '/srv/docs', '/x/$PLUGIN_DIR'] },
      'fs.write': { paths: ['$PLUGIN_DIR/out'] },
      'net.http': { rules: [{ host: 'a.example', methods: ['GET'], path_prefix: '/$PLUGIN_DIR' }] },
    };
    const before = structuredClone(permissions);
    expect(expandPluginDirInGrants(permissions, '/p/me')).toEqual({
      'fs.read': { paths: ['/p/me', '/srv/docs', '/x/$PLUGIN_DIR'] },
      'fs.write': { paths: ['/p/me/out'] },
      'net.http': permissions['net.http'],
    });
    expect(permissions).toEqual(before);
  });

  it('adds no permission the manifest did not ask for', () => {
    expect(expandPluginDirInGrants({}, '/p/me')).toEqual({});
  });
});
