/**
 * A trainer's stdout belongs to the trainer protocol: whatever libraries
 * print through the console (tfjs and its wasm backend do when they start)
 * goes to stderr. Imported first by the trainer's entry, before those libraries load.
 */
for (const method of ['log', 'info', 'warn', 'debug'] as const) {
  console[method] = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
}
