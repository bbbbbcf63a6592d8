import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TrainerCommand } from './supervisor';

/**
 * How to start the built-in trainer: bundled apps ship it as
 * `built-in-trainer.cjs` beside their `main.cjs` (this code then runs from
 * that bundle, so `__dirname` is the app's directory); from sources (tests,
 * `tsx`) the TypeScript entry runs through tsx's require hook, since a child
 * process does not inherit the transform its parent was loaded with.
 */
export function builtInTrainerCommand(): TrainerCommand {
  // The parent's NODE_OPTIONS (a heap size, a test runner's flags) are not the trainer's.
  const env = { ...process.env, NODE_OPTIONS: '' };
  const bundled = path.join(__dirname, 'built-in-trainer.cjs');
  if (existsSync(bundled)) return { command: process.execPath, args: [bundled], env };
  return { command: process.execPath, args: ['--require', require.resolve('tsx/cjs'), path.join(__dirname, 'built-in-trainer.process.ts')], env };
}
