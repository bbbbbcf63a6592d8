import OpenAI from 'openai';
import { startHarness, waitForJob, type Harness } from '../testing/training-harness';
import { TEST_IDENTITY_HEADER } from '@llmp/auth/testing';

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
  }, 180_000);

  it('cancels a job, and reports unknown files and hyperparameters out of range as the client expects', async () => {
    const job = await client.fineTuning.jobs.create({ model: 'llmp-llama-tiny', training_file: 'dsv_demo', hyperparameters: { n_epochs: 100, batch_size: 4 } });
    const cancelled = await client.fineTuning.jobs.cancel(job.id);
    expect(['queued', 'running', 'cancelled']).toContain(cancelled.status);
    await waitForJob(h, job.id, (j) => j.state === 'cancelled', 30_000);
    expect((await client.fineTuning.jobs.retrieve(job.id)).status).toBe('cancelled');

    await expect(client.fineTuning.jobs.create({ model: 'llmp-llama-tiny', training_file: 'file-abc' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const outOfRange = await client.fineTuning.jobs.create({ model: 'llmp-llama-tiny', training_file: 'dsv_demo', hyperparameters: { n_epochs: 0 } }).catch((e: unknown) => e);
    expect(outOfRange).toBeInstanceOf(OpenAI.BadRequestError);
    expect((outOfRange as Error).message).toContain('body.hyperparameters.n_epochs');
    await expect(client.fineTuning.jobs.retrieve('ftjob_missing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  }, 60_000);
});
