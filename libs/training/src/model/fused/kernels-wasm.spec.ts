import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

describe('the committed kernels module', () => {
  it('is the compiled form of libs/training/assembly/kernels.ts', async () => {
    const root = join(__dirname, '../../../../..');
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'tools/scripts/build-kernels.mjs'), '--check'], { cwd: root });
    expect(stdout.trim()).toBe('kernels up to date');
  }, 60_000);
});
