import { readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { TEST_IDENTITY_HEADER } from '@llmp/auth/testing';
import { aVersion } from '../testing/datasets-stand-in';
import { chatRecords } from '../testing/records';
import { SMALL_JOB, startHarness, waitForJob, type Harness } from '../testing/training-harness';

const create = (h: Harness, body: object, as = h.as('user')) => as.post('/api/training/jobs').send(body);

describe('fine-tuning jobs', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('trains a model from a dataset version: live events until the end, checkpoints with validation loss, a registered model and its GGUF', async () => {
    const created = await create(h, { datasetVersionId: 'dsv_demo', model: 'llmp-llama-tiny', suffix: 'handbook', hyperparameters: SMALL_JOB }).expect(201);
    const job = created.body;
    expect(job).toMatchObject({
      id: expect.stringMatching(/^ftjob_[0-9a-z]{26}$/),
      state: 'queued',
      ownerId: 'usr_user',
      datasetVersionId: 'dsv_demo',
      hasValidation: true,
      model: 'llmp-llama-tiny',
      hyperparameters: { ...SMALL_JOB, learningRateMultiplier: 1 },
      estimate: { parameters: expect.any(Number), totalSteps: expect.any(Number), seconds: expect.any(Number), memoryBytes: expect.any(Number) },
    });
    expect(job.workDir).toBeUndefined();
    expect(h.datasets.holds).toContain(`dsv_demo/${job.id}`);
    expect(h.datasets.callers.filter((c) => c.path.startsWith('/api/datasets/versions/dsv_demo')).every((c) => c.identity.userId === 'usr_user')).toBe(true);

    // Live events over SSE, from the first to the last, ending when the job does.
    const res = await fetch(`${h.url}/api/training/jobs/${job.id}/events`, {
      headers: { accept: 'text/event-stream', [TEST_IDENTITY_HEADER]: JSON.stringify({ userId: 'usr_user', username: 'user', role: 'user', via: 'token' }) },
      signal: AbortSignal.timeout(120_000),
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const stream = await res.text();
    const events = stream
      .split('\n\n')
      .filter((block) => block.includes('data: ') && !block.startsWith('event: end'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { id: string; message: string; type: string; data: Record<string, number> | null });
    expect(stream.trimEnd().endsWith(`data: ${JSON.stringify({ jobId: job.id })}`)).toBe(true);
    const messages = events.map((e) => e.message);
    expect(messages[0]).toBe('Validating training file: dataset version dsv_demo');
    expect(messages).toContain('Fine-tuning job started (attempt 1)');
    expect(messages.at(-1)).toBe('The job has successfully completed');
    // Users read these messages: the server's paths stay out of them.
    expect(messages.filter((m) => /\/(tmp|app|home|root|var)\/|\.ndjson|\.json\b/.test(m))).toEqual([]);
    const metrics = events.filter((e) => e.type === 'metrics');
    expect(metrics.length).toBeGreaterThanOrEqual(2);
    expect(metrics[0].message).toMatch(/^Step 4\/\d+: training loss=\d+\.\d{4}, validation loss=\d+\.\d{4}$/);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    const done = (await h.as('user').get(`/api/training/jobs/${job.id}`).expect(200)).body;
    expect(done).toMatchObject({ state: 'succeeded', error: null, attempt: 1, fineTunedModelId: expect.stringMatching(/^model_/), finishedAt: expect.any(String) });
    expect(done.step).toBe(done.totalSteps);
    expect(h.datasets.holds).not.toContain(`dsv_demo/${job.id}`);

    const checkpoints = (await h.as('user').get(`/api/training/jobs/${job.id}/checkpoints`).expect(200)).body.data;
    expect(checkpoints.length).toBeGreaterThanOrEqual(2);
    expect(checkpoints[0]).toMatchObject({ id: expect.stringMatching(/^ckpt_/), step: done.totalSteps, validLoss: expect.any(Number), validPerplexity: expect.any(Number) });
    expect(checkpoints[0].artifactPath).toBeUndefined();
    // Newest first: the loss has fallen from the first checkpoint to the last.
    expect(checkpoints[0].validLoss).toBeLessThan(checkpoints.at(-1).validLoss);
    expect(checkpoints[0].validPerplexity).toBeCloseTo(Math.exp(checkpoints[0].validLoss), 3);

    const model = (await h.as('user').get(`/api/training/models/${done.fineTunedModelId}`).expect(200)).body;
    expect(model).toMatchObject({
      id: done.fineTunedModelId,
      jobId: job.id,
      checkpointId: checkpoints[0].id,
      baseModel: 'llmp-llama-tiny',
      datasetVersionId: 'dsv_demo',
      format: 'gguf',
      hyperparameters: job.hyperparameters,
      modelConfig: { dModel: 32, nLayers: 2, contextLength: 32 },
      metrics: { validLoss: checkpoints[0].validLoss, steps: done.totalSteps },
      download: `/api/training/models/${model.id}/download`,
    });
    const list = (await h.as('user').get('/api/training/models').expect(200)).body;
    expect(list.data.map((m: { id: string }) => m.id)).toContain(model.id);
    const file = await h.as('user').get(model.download).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    }).expect(200);
    expect((file.body as Buffer).length).toBe(model.sizeBytes);
    expect((file.body as Buffer).subarray(0, 4).toString('latin1')).toBe('GGUF');

    // A model whose file has gone is a clear 404, not a broken download.
    await rename(path.join(h.trainingDir, 'jobs', job.id, 'model.gguf'), path.join(h.trainingDir, 'moved.gguf'));
    const gone = await h.as('user').get(model.download).expect(404);
    expect(gone.body.error).toEqual({ code: 'model_artifact_missing', message: `the file of model ${model.id} is missing or incomplete on this server` });

    // A finished job cannot be cancelled.
    const late = await h.as('user').post(`/api/training/jobs/${job.id}/cancel`).expect(409);
    expect(late.body.error).toMatchObject({ code: 'job_already_finished', message: `fine-tuning job ${job.id} has already succeeded; only a job that has not finished can be cancelled` });
  }, 180_000);

  it('replays live events after the last one a client saw, and answers 404 as JSON for a job that is not yours', async () => {
    const [job] = (await h.as('user').get('/api/training/jobs?limit=1').expect(200)).body.data;
    const all = (await h.as('user').get(`/api/training/jobs/${job.id}/events?limit=100`).expect(200)).body.data as { id: string }[];
    const seen = all[all.length - 3].id;
    const headers = (userId: string) => ({ accept: 'text/event-stream', 'last-event-id': seen, [TEST_IDENTITY_HEADER]: JSON.stringify({ userId, username: userId, role: 'user', via: 'token' }) });
    const replay = await (await fetch(`${h.url}/api/training/jobs/${job.id}/events`, { headers: headers('usr_user'), signal: AbortSignal.timeout(30_000) })).text();
    expect([...replay.matchAll(/^id: (\S+)$/gm)].map((m) => m[1])).toEqual(all.slice(-2).map((e) => e.id));
    const stranger = await fetch(`${h.url}/api/training/jobs/${job.id}/events`, { headers: headers('usr_stranger') });
    expect(stranger.status).toBe(404);
    expect(await stranger.json()).toMatchObject({ error: { code: 'fine_tuning_job_not_found', message: `fine-tuning job ${job.id} does not exist` } });
  });

  it('hides one user\'s jobs and models from another, and pages the list', async () => {
    const other = h.as('user', 'usr_other');
    const mine = (await h.as('user').get('/api/training/jobs?limit=1').expect(200)).body;
    expect(mine.data).toHaveLength(1);
    await other.get(`/api/training/jobs/${mine.data[0].id}`).expect(404);
    expect((await other.get('/api/training/jobs').expect(200)).body.data).toEqual([]);
    expect((await other.get('/api/training/models').expect(200)).body.data).toEqual([]);
    expect((await h.as('manager', 'usr_boss').get(`/api/training/jobs/${mine.data[0].id}`).expect(200)).body.id).toBe(mine.data[0].id);
  });

  describe('refuses bad input with a clear 4xx and creates nothing', () => {
    beforeAll(() => {
      h.datasets.versions.set('dsv_draft', aVersion('dsv_draft', chatRecords(5), [], { status: 'draft' }));
      h.datasets.versions.set('dsv_empty', aVersion('dsv_empty', [], []));
      h.datasets.versions.set('dsv_private', { ...aVersion('dsv_private', chatRecords(5), []), ownerId: 'usr_someone' });
    });

    it.each([
      ['an unknown dataset version', { datasetVersionId: 'dsv_nope' }, 404, 'dataset_version_not_found', 'dataset version dsv_nope does not exist'],
      ["someone else's dataset version", { datasetVersionId: 'dsv_private' }, 404, 'dataset_version_not_found', 'dataset version dsv_private does not exist'],
      ['an unfrozen dataset version', { datasetVersionId: 'dsv_draft' }, 422, 'dataset_version_not_frozen', 'dataset version dsv_draft is draft; only frozen versions can be trained on'],
      ['an empty training split', { datasetVersionId: 'dsv_empty' }, 422, 'empty_training_split', 'dataset version dsv_empty has no records in its train split'],
      ['an unknown model', { datasetVersionId: 'dsv_demo', model: 'gpt-4o' }, 400, 'model_not_available', 'model "gpt-4o" is not available; the built-in trainer trains llmp-llama-tiny, llmp-llama-small, llmp-llama-base'],
      ['a context longer than the preset allows', { datasetVersionId: 'dsv_demo', model: 'llmp-llama-tiny', hyperparameters: { contextLength: 512 } }, 400, 'context_length_too_long', 'hyperparameters.contextLength 512 is longer than llmp-llama-tiny allows (128)'],
      ['epochs out of range', { datasetVersionId: 'dsv_demo', hyperparameters: { nEpochs: 0 } }, 400, 'invalid_request', 'body.hyperparameters.nEpochs: Too small: expected number to be >=1'],
      ['an unknown hyperparameter', { datasetVersionId: 'dsv_demo', hyperparameters: { momentum: 0.9 } }, 400, 'invalid_request', 'body.hyperparameters: Unrecognized key: "momentum"'],
    ])('%s', async (_what, body, status, code, message) => {
      const before = (await h.as('admin').get('/api/training/jobs').expect(200)).body.data.length;
      const res = await create(h, body).expect(status);
      expect(res.body.error).toMatchObject({ code, message });
      expect((await h.as('admin').get('/api/training/jobs').expect(200)).body.data.length).toBe(before);
    });

    it('refuses with 422 and the numbers a job that would not fit the time limit', async () => {
      const res = await create(h, { datasetVersionId: 'dsv_demo', model: 'llmp-llama-base', hyperparameters: { nEpochs: 100, batchSize: 64, contextLength: 512 } }).expect(422);
      expect(res.body.error.code).toBe('job_exceeds_limits');
      // The trainer holds one chunk of a batch's activations at a time, so even this job fits in memory (the
      // pre-flight tests cover a memory refusal); 100 epochs of the largest preset and batch do not fit an hour.
      expect(res.body.error.message).toMatch(/^this job would need about \d+ s \(the limit is 3600 s\): \d+ parameters, \d+ tokens per epoch, \d+ steps; /);
      expect(res.body.error.details).toMatchObject({ parameters: expect.any(Number), memoryBytes: expect.any(Number), seconds: expect.any(Number), limits: { memoryBytes: 2048 * 1024 * 1024, seconds: 3600 } });
      expect(res.body.error.details.seconds).toBeGreaterThan(3600);
      expect(res.body.error.details.memoryBytes).toBeLessThan(2048 * 1024 * 1024);
    });
  });

  it('cancels a queued or running job once, and answers 409 to the second cancel', async () => {
    const job = (await create(h, { datasetVersionId: 'dsv_demo', model: 'llmp-llama-tiny', hyperparameters: { ...SMALL_JOB, nEpochs: 100 } }).expect(201)).body;
    await waitForJob(h, job.id, (j) => j.state === 'running');
    const first = await h.as('user').post(`/api/training/jobs/${job.id}/cancel`).expect(200);
    expect(first.body).toMatchObject({ id: job.id, cancelRequested: true });
    const second = await h.as('user').post(`/api/training/jobs/${job.id}/cancel`);
    expect(second.status).toBe(409);
    expect(['job_already_cancelling', 'job_already_cancelled']).toContain(second.body.error.code);
    const cancelled = await waitForJob(h, job.id, (j) => j.state === 'cancelled', 30_000);
    expect(cancelled).toMatchObject({ error: null, finishedAt: expect.any(String) });
    expect(h.datasets.holds).not.toContain(`dsv_demo/${job.id}`);
    const again = await h.as('user').post(`/api/training/jobs/${job.id}/cancel`).expect(409);
    expect(again.body.error).toEqual({ code: 'job_already_cancelled', message: `fine-tuning job ${job.id} is already cancelled` });
  }, 60_000);

  it('deletes a finished job with its model and directory, and refuses a job still running or not yours', async () => {
    const job = (await create(h, { datasetVersionId: 'dsv_demo', model: 'llmp-llama-tiny', hyperparameters: SMALL_JOB }).expect(201)).body;
    const refused = await h.as('user').delete(`/api/training/jobs/${job.id}`).expect(409);
    expect(refused.body.error).toMatchObject({ code: 'job_not_finished' });
    const done = await waitForJob(h, job.id, (j) => j.state === 'succeeded' || j.state === 'failed', 120_000);
    expect(done.state).toBe('succeeded');
    const workDir = path.join(h.trainingDir, 'jobs', job.id);
    expect(await readdir(workDir)).toContain('model.gguf');

    await h.as('user', 'usr_other').delete(`/api/training/jobs/${job.id}`).expect(404);
    await h.as('user').delete(`/api/training/jobs/${job.id}`).expect(204);
    await h.as('user').get(`/api/training/jobs/${job.id}`).expect(404);
    await h.as('user').get(`/api/training/models/${done.fineTunedModelId}`).expect(404);
    expect(await h.training.stores.jobs.listCheckpoints(job.id, { limit: 100 })).toMatchObject({ data: [] });
    await expect(readdir(workDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await h.as('user').delete(`/api/training/jobs/${job.id}`).expect(404);
  }, 150_000);
});
