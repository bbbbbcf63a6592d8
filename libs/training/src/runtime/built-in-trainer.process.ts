/**
 * The built-in trainer's process entry: `node built-in-trainer.cjs <spec.json>`
 * (or this file through tsx). Its stdout belongs to the trainer protocol, so
 * anything the libraries print goes to stderr instead.
 */
import './stdout-guard';
import { readFile } from 'node:fs/promises';
import { runBuiltInTrainer } from './built-in-trainer.run';
import type { TrainerLine, TrainerSpec } from './protocol';

const say = (line: TrainerLine) => process.stdout.write(`${JSON.stringify(line)}\n`);

let stop = false;
process.on('SIGTERM', () => (stop = true));
// A supervisor that dies (SIGKILL) cannot stop its trainer: an orphan stops itself, and
// the job resumes from its last checkpoint under the next supervisor.
const supervisor = process.ppid;
setInterval(() => process.ppid !== supervisor && process.exit(1), 1000).unref();
process.stdout.on('error', () => process.exit(1));

async function main(): Promise<void> {
  const specPath = process.argv[2];
  if (!specPath) throw Object.assign(new Error('usage: built-in-trainer <spec.json>'), { code: 'invalid_spec' });
  const spec = JSON.parse(await readFile(specPath, 'utf8')) as TrainerSpec;
  if (spec.protocol !== 1) throw Object.assign(new Error(`unknown trainer protocol ${String(spec.protocol)}`), { code: 'invalid_spec' });
  await runBuiltInTrainer(spec, { stopRequested: () => stop });
}

main().then(
  () => process.exit(0),
  (error: Error & { code?: unknown }) => {
    say({ type: 'error', code: typeof error.code === 'string' ? error.code : 'trainer_failed', message: error.message });
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
