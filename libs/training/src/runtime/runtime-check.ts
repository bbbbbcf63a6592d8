/**
 * The built-in trainer's libraries are development dependencies of the
 * platform. Where they are missing (an image built with `--omit=dev`), the
 * job fails with a protocol error that names them, before anything imports them.
 */
const missing = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'].filter((name) => {
  try {
    require.resolve(name);
    return false;
  } catch {
    return true;
  }
});
if (missing.length) {
  const message = `the built-in trainer needs ${missing.join(' and ')}, which this installation lacks (they are development dependencies: install them, or run jobs on a replica that has them)`;
  process.stdout.write(`${JSON.stringify({ type: 'error', code: 'trainer_runtime_missing', message })}\n`);
  process.exit(1);
}
