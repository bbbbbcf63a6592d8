import { readdir } from 'node:fs/promises';
import path from 'node:path';
import OpenAI from 'openai';
import { startHarness, waitForJob, type Harness } from '../testing/training-harness';
import { TEST_IDENTITY_HEADER } from '@llmp/auth/testing';

/** The files in a directory, and each checkpoint directory once (as `checkpoints/step-…/`), sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'checkpoints' && entry.isDirectory()) for (const step of await readdir(path.join(dir, entry.name))) out.push(`checkpoints/${step}/`);
    else out.push(entry.name);
  }
  return out.sort();
}

describe('OpenAI-compatible fine-tuning API, driven by the official openai client', () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startHarness();
    client = new OpenAI({
      baseURL: `${h.url}/v1`,
      apiKey: 'unused-behind-the-signing-hop',
      maxRetries: 0,
      defaultHeaders: { [TEST_IDENTITY_HEADER]: JSON.stringify({ userId: 'usr_sdk', username: 'sdk', role: 'user', via: 'api_key' }) },
    });
  });
  afterAll(() => h.close());

  it('creates a job on a dataset version, follows it to success, and lists jobs, events and checkpoints in OpenAI shapes', async () => {
    const job = await client.fineTuning.jobs.create({
      model: 'llmp-llama-tiny',
      training_file: 'dsv_demo',
      seed: 11,
      suffix: 'sdk',
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 2 } } },
    });
    expect(job).toMatchObject({
      object: 'fine_tuning.job',
      id: expect.stringMatching(/^ftjob_/),
      model: 'llmp-llama-tiny',
      status: 'queued',
      training_file: 'dsv_demo',
      validation_file: 'dsv_demo',
      seed: 11,
      user_provided_suffix: 'sdk',
      hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 2 },
      method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 4, learning_rate_multiplier: 2 } } },
      error: null,
      fine_tuned_model: null,
      finished_at: null,
      result_files: [],
    });
    expect(job.created_at).toBeCloseTo(Date.now() / 1000, -1);

    await waitForJob(h, job.id, (j) => j.state === 'succeeded' || j.state === 'failed');
    const done = await client.fineTuning.jobs.retrieve(job.id);
    expect(done).toMatchObject({ status: 'succeeded', fine_tuned_model: expect.stringMatching(/^model_/), trained_tokens: expect.any(Number), finished_at: expect.any(Number) });

    const listed: string[] = [];
    for await (const j of client.fineTuning.jobs.list({ limit: 1 })) listed.push(j.id);
    expect(listed).toContain(job.id);

    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    expect(events.data[0]).toMatchObject({ object: 'fine_tuning.job.event', message: 'The job has successfully completed', level: 'info', type: 'message' });
    expect(events.data.some((e) => e.type === 'metrics' && typeof (e.data as { valid_loss?: number }).valid_loss === 'number')).toBe(true);
    const paged: string[] = [];
    for await (const e of client.fineTuning.jobs.listEvents(job.id, { limit: 3 })) paged.push(e.id);
    expect(paged).toEqual(events.data.map((e) => e.id));

    const checkpoints = await client.fineTuning.jobs.checkpoints.list(job.id);
    expect(checkpoints.data[0]).toMatchObject({
      object: 'fine_tuning.job.checkpoint',
      id: expect.stringMatching(/^ckpt_/),
      fine_tuning_job_id: job.id,
      step_number: expect.any(Number),
      metrics: { train_loss: expect.any(Number), valid_loss: expect.any(Number) },
    });

    await expect(client.fineTuning.jobs.cancel(job.id)).rejects.toMatchObject({ status: 409 });

    // The finished job's directory holds its model and its listed checkpoints; the split copies and trainer specs are gone.
    const listedSteps = (await h.training.stores.jobs.listCheckpoints(job.id, { limit: 100 })).data.map((c) => path.basename(c.artifactPath)).sort();
    expect(await filesUnder(path.join(h.trainingDir, 'jobs', job.id))).toEqual(['model.gguf', ...listedSteps.map((step) => `checkpoints/${step}/`)].sort());
  }, 180_000);

  it('cancels a job, and reports unknown files and hyperparameters out of range as the client expects', async () => {
    const job = await client.fineTuning.jobs.create({ model: 'llmp-llama-tiny', training_file: 'dsv_demo', hyperparameters: { n_epochs: 100, batch_size: 4 } });
    const cancelled = await client.fineTuning.jobs.cancel(job.id);
    expect(['queued', 'running', 'cancelled']).toContain(cancelled.status);
    await waitForJob(h, job.id, (j) => j.state === 'cancelled', 30_000);
    expect((await client.fineTuning.jobs.retrieve(job.id)).status).toBe('cancelled');
    const listed = (await h.training.stores.jobs.listCheckpoints(job.id, { limit: 100 })).data.map((c) => `checkpoints/${path.basename(c.artifactPath)}/`);
    expect(await filesUnder(path.join(h.trainingDir, 'jobs', job.id))).toEqual(listed.sort());

    const unknownFile = await client.fineTuning.jobs.create({ model: 'llmp-llama-tiny', training_file: 'file-abc' }).catch((e: unknown) => e);
    expect(unknownFile).toBeInstanceOf(OpenAI.NotFoundError);
    expect(unknownFile).toMatchObject({ status: 404, type: 'invalid_request_error', param: 'training_file', code: 'dataset_version_not_found' });
    const outOfRange = await client.fineTuning.jobs.create({ model: 'llmp-llama-tiny', training_file: 'dsv_demo', hyperparameters: { n_epochs: 0 } }).catch((e: unknown) => e);
    expect(outOfRange).toBeInstanceOf(OpenAI.BadRequestError);
    expect(outOfRange).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'hyperparameters.n_epochs', code: 'invalid_request' });
    expect((outOfRange as Error).message).toContain('body.hyperparameters.n_epochs');
    const unknownModel = await client.fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: 'dsv_demo' }).catch((e: unknown) => e);
    expect(unknownModel).toBeInstanceOf(OpenAI.BadRequestError);
    expect(unknownModel).toMatchObject({ param: 'model', code: 'model_not_available' });
    const missing = await client.fineTuning.jobs.retrieve('ftjob_missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ type: 'invalid_request_error', code: 'fine_tuning_job_not_found', param: null });
    const cancelledAgain = await client.fineTuning.jobs.cancel(job.id).catch((e: unknown) => e);
    expect(cancelledAgain).toBeInstanceOf(OpenAI.ConflictError);
    expect(cancelledAgain).toMatchObject({ code: 'job_already_cancelled' });
  }, 60_000);

  it('answers a caller without credentials, and an unknown fine-tuning path, in OpenAI\'s error shape', async () => {
    const anonymous = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: 'unused-behind-the-signing-hop', maxRetries: 0 });
    const refused = await anonymous.fineTuning.jobs.list().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(refused).toMatchObject({ status: 401, type: 'invalid_request_error' });
    const malformed = await fetch(`${h.url}/v1/fine_tuning/jobs/%ff%fe`, { headers: { [TEST_IDENTITY_HEADER]: JSON.stringify({ userId: 'usr_sdk', username: 'sdk', role: 'user', via: 'api_key' }) } });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'malformed_path', param: null } });
    const res = await fetch(`${h.url}/v1/fine_tuning/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: 'Invalid URL (GET /v1/fine_tuning/nothing-here)', type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    // Outside the fine-tuning API, errors keep the platform's own shape.
    expect(await (await fetch(`${h.url}/api/training/jobs/ftjob_missing`)).json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  }, 30_000);
});
