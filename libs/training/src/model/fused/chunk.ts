/**
 * Tokens whose activations one fused pass keeps at most: a batch is worked
 * through a chunk of rows at a time, and a window longer than this is a
 * chunk on its own. Apart from the model, so that the pre-flight estimate
 * can use it without loading the trainer.
 */
export const DEFAULT_CHUNK_TOKENS = 1024;
