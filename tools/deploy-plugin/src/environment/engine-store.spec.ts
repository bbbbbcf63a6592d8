import { decodeVolumeFiles, encodeVolumeFiles, volumeHelperArgs } from './engine-store';

describe('engine store', () => {
  it('encodes each file as one line that survives any content', () => {
    const text = encodeVolumeFiles([
      { name: 'credentials.json', content: '{"p":"a b\nc$(x)"}', mode: 0o600 },
      { name: 'default.conf', content: '', mode: 0o644 },
    ]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^credentials\.json 600 [A-Za-z0-9+/=]+$/);
    expect(lines[1]).toBe('default.conf 644 ');
    expect(Buffer.from(lines[0].split(' ')[2], 'base64').toString()).toBe('{"p":"a b\nc$(x)"}');
  });

  it('refuses names that could leave the volume', () => {
    expect(() => encodeVolumeFiles([{ name: '../etc/passwd', content: '', mode: 0o600 }])).toThrow(/plain file name/);
  });

  it('reads missing, empty and present files apart', () => {
    const out = `-\n\n${Buffer.from('{"a":1}').toString('base64')}\n`;
    expect(decodeVolumeFiles(['state.json', 'empty', 'credentials.json'], out)).toEqual({ 'state.json': undefined, empty: '', 'credentials.json': '{"a":1}' });
  });

  it('runs the helper without a network and mounts the volume read-only for reads', () => {
    const args = volumeHelperArgs({ volume: 'llmp-stage-pr-1-state', image: 'llmp/nginx:1-trixie', readOnly: true, script: 'true', args: ['state.json'] });
    expect(args.join(' ')).toContain('--network none');
    expect(args).toContain('llmp-stage-pr-1-state:/d:ro');
    expect(args.slice(-3)).toEqual(['true', 'sh', 'state.json']);
  });
});
