import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainerLine } from './protocol';
import { superviseTrainer, type SupervisorOptions } from './supervisor';

/** Small trainers that each misbehave in one way, run as real processes. */
const SCRIPTS: Record<string, string> = {
  good: `
    const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
    say({ type: 'log', message: 'spec ' + process.argv[2] });
    say({ type: 'progress', step: 1, totalSteps: 2, epoch: 0.5, tokens: 64 });
    say({ type: 'checkpoint', step: 2, path: '/tmp/ckpt', trainLoss: 2.5, validLoss: 2.7, validPerplexity: 14.9 });
    say({ type: 'done', modelPath: '/tmp/model.gguf', format: 'gguf', step: 2, trainedTokens: 128, trainLoss: 2.5, validLoss: 2.7, validPerplexity: 14.9, parameters: 1000 });`,
  garbage: `
    process.stdout.write(JSON.stringify({ type: 'progress', step: 1, totalSteps: 9, epoch: 0, tokens: 1 }) + '\\n');
    process.stdout.write('Epoch 1/3 loss=2.3\\n');
    setTimeout(() => {}, 30000);`,
  wrongShape: `process.stdout.write(JSON.stringify({ type: 'progress', step: -1 }) + '\\n'); setTimeout(() => {}, 30000);`,
  exitAtOnce: `process.stderr.write('CUDA driver not found\\n'); process.exit(3);`,
  exitCleanWithoutDone: `process.stdout.write(JSON.stringify({ type: 'log', message: 'bye' }) + '\\n');`,
  stall: `process.stdout.write(JSON.stringify({ type: 'log', message: 'loading' }) + '\\n'); setInterval(() => {}, 1000);`,
  ignoresSigterm: `
    process.on('SIGTERM', () => process.stdout.write(JSON.stringify({ type: 'log', message: 'not stopping' }) + '\\n'));
    let step = 0;
    setInterval(() => process.stdout.write(JSON.stringify({ type: 'progress', step: ++step, totalSteps: 1000, epoch: 0, tokens: step }) + '\\n'), 50);`,
  reportsError: `
    process.stdout.write(JSON.stringify({ type: 'error', code: 'dataset_too_small', message: 'the training split has 12 tokens, fewer than one window of 65' }) + '\\n');
    process.exit(1);`,
};

const FAST: SupervisorOptions = { stallTimeoutMs: 1500, killGraceMs: 500 };

describe('trainer supervisor', () => {
  let dir: string;
  const script = (name: string) => ({ command: process.execPath, args: [join(dir, `${name}.js`)] });
  const run = (name: string, options = FAST) => {
    const lines: TrainerLine[] = [];
    const trainer = superviseTrainer(script(name), join(dir, 'spec.json'), options, async (line) => void lines.push(line));
    return { trainer, lines };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llmp-supervisor-'));
    for (const [name, source] of Object.entries(SCRIPTS)) await writeFile(join(dir, `${name}.js`), source);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('hands every protocol line over in order and succeeds on done and exit 0', async () => {
    const { trainer, lines } = run('good');
    const outcome = await trainer.result;
    expect(outcome).toMatchObject({ outcome: 'succeeded', done: { modelPath: '/tmp/model.gguf', step: 2 } });
    expect(lines.map((l) => l.type)).toEqual(['log', 'progress', 'checkpoint', 'done']);
    expect(lines[0]).toMatchObject({ message: `spec ${join(dir, 'spec.json')}` });
  });

  it('stops a trainer that prints something other than the protocol, quoting the line', async () => {
    const started = Date.now();
    const { trainer, lines } = run('garbage');
    expect(await trainer.result).toEqual({
      outcome: 'failed',
      error: { code: 'trainer_protocol_error', message: expect.stringContaining('"Epoch 1/3 loss=2.3"'), param: null },
    });
    expect(lines.map((l) => l.type)).toEqual(['progress']);
    expect(Date.now() - started).toBeLessThan(FAST.stallTimeoutMs);
  });

  it('names the field of a JSON line that breaks the protocol', async () => {
    const outcome = await run('wrongShape').trainer.result;
    expect(outcome).toMatchObject({ outcome: 'failed', error: { code: 'trainer_protocol_error', message: expect.stringMatching(/step: .*>=0/) } });
  });

  it('fails a trainer that exits at once with its exit code and the end of its stderr', async () => {
    expect(await run('exitAtOnce').trainer.result).toEqual({
      outcome: 'failed',
      error: { code: 'trainer_exited', message: 'the trainer exited with code 3 before reporting done: CUDA driver not found', param: null },
    });
    expect(await run('exitCleanWithoutDone').trainer.result).toMatchObject({ outcome: 'failed', error: { code: 'trainer_exited', message: 'the trainer exited with code 0 before reporting done' } });
  });

  it('stops a trainer that goes silent after the stall timeout', async () => {
    const started = Date.now();
    const { trainer } = run('stall');
    expect(await trainer.result).toMatchObject({ outcome: 'failed', error: { code: 'trainer_stalled', message: 'the trainer wrote nothing for 1.5 s (the stall timeout) and was stopped' } });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(FAST.stallTimeoutMs - 50);
    expect(took).toBeLessThan(FAST.stallTimeoutMs + 3000);
  });

  it('kills a trainer that ignores SIGTERM once the grace period is over, and reports it cancelled', async () => {
    const { trainer, lines } = run('ignoresSigterm', { stallTimeoutMs: 5000, killGraceMs: 700 });
    for (let i = 0; i < 200 && !lines.some((l) => l.type === 'progress'); i++) await new Promise((r) => setTimeout(r, 50));
    const cancelledAt = Date.now();
    trainer.cancel();
    trainer.cancel();
    expect(await trainer.result).toEqual({ outcome: 'cancelled' });
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(650);
    expect(() => process.kill(trainer.pid!, 0)).toThrow();
  });

  it("passes on the trainer's own error code and message", async () => {
    expect(await run('reportsError').trainer.result).toEqual({
      outcome: 'failed',
      error: { code: 'dataset_too_small', message: 'the training split has 12 tokens, fewer than one window of 65', param: null },
    });
  });

  it('fails with a reason when the trainer cannot be started at all', async () => {
    const trainer = superviseTrainer({ command: join(dir, 'no-such-trainer'), args: [] }, join(dir, 'spec.json'), FAST, async () => undefined);
    expect(await trainer.result).toMatchObject({ outcome: 'failed', error: { code: 'trainer_start_failed', message: expect.stringContaining('ENOENT') } });
  });
});
