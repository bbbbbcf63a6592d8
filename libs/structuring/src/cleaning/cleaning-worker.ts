import { parentPort } from 'node:worker_threads';
import { createCleaningTaskRunner } from './cleaning-tasks';
import type { CleaningRequest, CleaningResponse } from './cleaning-threads';

/** A cleaning thread: answers each batch with its tasks' results, or the error that stopped them. */
const run = createCleaningTaskRunner();
const port = parentPort!;
port.on('message', ({ id, records, tasks }: CleaningRequest) => {
  let response: CleaningResponse;
  try {
    response = { id, results: run(records, tasks) };
  } catch (error) {
    response = { id, error: (error as Error).message };
  }
  port.postMessage(response);
});
port.postMessage({ id: 0, results: [] } satisfies CleaningResponse);
