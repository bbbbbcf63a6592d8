import { newId } from '@llmp/core';
import { migrate, type Db } from '@llmp/db';
import { testDatabases } from '@llmp/db/testing';
import { trainingMigrations } from '../migrations';
import { createPgModelStore } from '../models/model.store';
import { aJob } from '../testing/builders';
import { createPgJobStore, type JobStore } from './job.store';

describe.each(testDatabases())('training stores on $name', (database) => {
  let db: Db;
  let close: () => Promise<void>;
  let jobs: JobStore;
  beforeAll(async () => {
    ({ db, close } = await database.open());
    await migrate(db, trainingMigrations);
    jobs = createPgJobStore(db);
  });
  afterAll(() => close());

  it('stores a job and reads it back as the domain object', async () => {
    const input = aJob({ suffix: 'handbook' });
    const job = await jobs.insert(input);
    expect(job).toMatchObject({ ...input, state: 'validating_files', error: null, attempt: 0, step: 0, trainedTokens: 0, cancelRequested: false, startedAt: null, finishedAt: null });
    expect(job.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await jobs.get(job.id)).toEqual(job);
    expect(await jobs.get('ftjob_missing')).toBeNull();
  });

  it('changes state only from the states it is told, so two writers never both win', async () => {
    const job = await jobs.insert(aJob());
    expect(await jobs.transition(job.id, ['running'], 'succeeded')).toBeNull();
    expect((await jobs.transition(job.id, ['validating_files'], 'queued'))?.state).toBe('queued');
    const failed = await jobs.transition(job.id, ['queued'], 'failed', { error: { code: 'x', message: 'why', param: null }, finished: true });
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'x', message: 'why', param: null }, finishedAt: expect.any(String) });
    expect(await jobs.transition(job.id, ['queued'], 'cancelled')).toBeNull();
  });

  it('hands the oldest queued job to one runner, counts attempts and finds runners that stopped beating', async () => {
    const first = await jobs.insert(aJob());
    const second = await jobs.insert(aJob());
    for (const j of [first, second]) await jobs.transition(j.id, ['validating_files'], 'queued');
    const [a, b, none] = [await jobs.claimNext('runner_a'), await jobs.claimNext('runner_b'), await jobs.claimNext('runner_c')];
    expect(a).toMatchObject({ id: first.id, state: 'running', attempt: 1, startedAt: expect.any(String) });
    expect(b).toMatchObject({ id: second.id, attempt: 1 });
    expect(none).toBeNull();
    expect(await jobs.heartbeat(first.id, 'runner_a', { step: 5, totalSteps: 48, trainedTokens: 640 })).toBe(true);
    expect(await jobs.heartbeat(first.id, 'runner_b')).toBe(false);
    expect(await jobs.get(first.id)).toMatchObject({ step: 5, totalSteps: 48, trainedTokens: 640 });
    await db.query(`update training.jobs set heartbeat_at = now() - interval '1 minute' where id = $1`, [second.id]);
    expect((await jobs.findStale(30)).map((j) => j.id)).toEqual([second.id]);
    expect(await jobs.transition(second.id, ['running'], 'queued')).toMatchObject({ state: 'queued' });
    expect(await jobs.claimNext('runner_c')).toMatchObject({ id: second.id, attempt: 2 });
  });

  it('pages jobs, events and checkpoints by id in either order', async () => {
    const owner = `usr_${newId('x')}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await jobs.insert(aJob({ ownerId: owner }))).id);
    const page1 = await jobs.list({ ownerId: owner, limit: 2 });
    expect(page1).toMatchObject({ hasMore: true });
    expect(page1.data.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const page2 = await jobs.list({ ownerId: owner, limit: 2, after: ids[1] });
    expect(page2).toEqual({ data: [expect.objectContaining({ id: ids[0] })], hasMore: false });

    const events = [];
    for (const message of ['one', 'two', 'three']) events.push(await jobs.addEvent(ids[0], { message, type: message === 'two' ? 'metrics' : 'message', data: { n: 1 } }));
    expect((await jobs.listEvents(ids[0], { limit: 10, order: 'asc' })).data.map((e) => e.message)).toEqual(['one', 'two', 'three']);
    expect((await jobs.listEvents(ids[0], { limit: 1, order: 'desc', after: events[2].id })).data.map((e) => e.message)).toEqual(['two']);
    expect(events[1]).toMatchObject({ id: expect.stringMatching(/^ftevent_/), level: 'info', type: 'metrics', data: { n: 1 } });

    await jobs.addCheckpoint(ids[0], { step: 6, trainLoss: 3, validLoss: 3.2, validPerplexity: Math.exp(3.2), artifactPath: '/a' });
    // A resumed attempt writing the same step again replaces it.
    const again = await jobs.addCheckpoint(ids[0], { step: 6, trainLoss: 2.9, validLoss: 3.1, validPerplexity: Math.exp(3.1), artifactPath: '/b' });
    await jobs.addCheckpoint(ids[0], { step: 12, trainLoss: 2.5, validLoss: null, validPerplexity: null, artifactPath: '/c' });
    expect((await jobs.listCheckpoints(ids[0], { limit: 10 })).data.map((c) => [c.step, c.artifactPath])).toEqual([
      [12, '/c'],
      [6, '/b'],
    ]);
    expect(await jobs.latestCheckpoint(ids[0])).toMatchObject({ step: 12, validLoss: null });
    expect(await jobs.getCheckpoint(again.id)).toMatchObject({ step: 6, trainLoss: 2.9 });
  });

  it('registers a model with its lineage and lists it for its owner', async () => {
    const models = createPgModelStore(db);
    const job = await jobs.insert(aJob({ ownerId: 'usr_modeller' }));
    const checkpoint = await jobs.addCheckpoint(job.id, { step: 48, trainLoss: 2, validLoss: 2.2, validPerplexity: 9, artifactPath: '/ck' });
    const model = await models.insert({
      id: newId('model'),
      ownerId: 'usr_modeller',
      jobId: job.id,
      checkpointId: checkpoint.id,
      baseModel: job.model,
      datasetVersionId: job.datasetVersionId,
      hyperparameters: job.hyperparameters,
      modelConfig: job.modelConfig,
      metrics: { trainLoss: 2, validLoss: 2.2, validPerplexity: 9, steps: 48, trainedTokens: 6144 },
      format: 'gguf',
      sizeBytes: 123_456,
      artifactPath: '/m.gguf',
    });
    expect(await models.get(model.id)).toEqual(model);
    expect((await models.list({ ownerId: 'usr_modeller', limit: 10 })).data.map((m) => m.id)).toEqual([model.id]);
    expect((await models.list({ ownerId: 'usr_nobody', limit: 10 })).data).toEqual([]);
  });
});
