import { multipartBody } from './multipart-body.js';

describe('multipartBody', () => {
  it('is RFC 7578 form data that a standard parser reads back part for part', async () => {
    const module = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const body = multipartBody([
      {
        field: 'manifest',
        filename: 'plugin.json',
        contentType: 'application/json',
        bytes: Buffer.from('{"id":"a"}'),
      },
      { field: 'module', filename: 'greet.wasm', contentType: 'application/wasm', bytes: module },
    ]);
    const bytes = Buffer.concat(body.chunks);
    expect(bytes.length).toBe(body.length);
    const form = await new Response(bytes, {
      headers: { 'content-type': body.contentType },
    }).formData();
    const manifest = form.get('manifest') as File;
    const wasm = form.get('module') as File;
    expect(manifest.name).toBe('plugin.json');
    expect(await manifest.text()).toBe('{"id":"a"}');
    expect(wasm.name).toBe('greet.wasm');
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(module);
  });

  it('a quote or line break in a file name cannot end the header early', () => {
    const body = multipartBody(
      [
        {
          field: 'module',
          filename: 'a"\r\nX-Evil: 1.wasm',
          contentType: 'application/wasm',
          bytes: new Uint8Array(1),
        },
      ],
      'b',
    );
    const head = body.chunks[0].toString();
    expect(head).toContain('filename="a___X-Evil: 1.wasm"');
    expect(head.split('\r\n')).toHaveLength(5);
  });
});
