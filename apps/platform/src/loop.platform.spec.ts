import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import request from 'supertest';
import { TEST_PASSWORD_COST } from '@llmp/auth/testing';
import { hasLlamaCppBinary } from '@llmp/agents/testing/tiny-gguf';
import { createLogger, sleep } from '@llmp/core';
import { startPlatform, type Platform } from './platform';

const log = createLogger({ name: 'test', level: 'silent' });

/**
 * What the platform is for, end to end on the embedded platform: the demo
 * documents become a frozen dataset version, a model is trained on it, and an
 * agent serves that model to the official openai client.
 */
describe('documents to dataset to trained model to served agent', () => {
  let platform: Platform;
  let modelsDir: string;
  let admin: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  async function poll<T>(what: string, timeoutMs: number, read: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'llmp-models-'));
    platform = await startPlatform({ log, port: 0, passwordCost: TEST_PASSWORD_COST, demoData: true, modelsDir });
    admin = (await request(platform.url).post('/api/auth/login').send({ username: 'admin', password: platform.firstAdmin!.password }).expect(200)).body.token;
  });
  afterAll(async () => {
    await platform.stop();
    await rm(modelsDir, { recursive: true, force: true });
  });

  (hasLlamaCppBinary() ? it : it.skip)('trains on the demo dataset version and answers from the trained model through /v1', async () => {
    const api = request(platform.url);
    const dataset = (await api.get('/api/datasets').set(as(admin)).expect(200)).body.data.find((d: { name: string }) => d.name === 'Demo');
    const [build] = (await api.get(`/api/datasets/${dataset.id}/builds`).set(as(admin)).expect(200)).body.data;
    const versionId = await poll('the demo dataset build', 120_000, async () => {
      const b = (await api.get(`/api/datasets/builds/${build.id}`).set(as(admin)).expect(200)).body;
      expect(b.status).not.toMatch(/failed|cancelled/);
      return b.status === 'completed' ? (b.progress.versionId as string) : undefined;
    });

    const job = (
      await api
        .post('/api/training/jobs')
        .set(as(admin))
        .send({ datasetVersionId: versionId, model: 'llmp-llama-tiny', hyperparameters: { nEpochs: 2, seed: 7 } })
        .expect(201)
    ).body;
    const done = await poll('the training job', 240_000, async () => {
      const j = (await api.get(`/api/training/jobs/${job.id}`).set(as(admin)).expect(200)).body;
      expect(j.state).not.toMatch(/failed|cancelled/);
      return j.state === 'succeeded' ? j : undefined;
    });
    const checkpoints = (await api.get(`/api/training/jobs/${job.id}/checkpoints`).set(as(admin)).expect(200)).body.data;
    expect(checkpoints[0]).toMatchObject({ step: done.totalSteps, validLoss: expect.any(Number) });
    expect(checkpoints[0].validPerplexity).toBeCloseTo(Math.exp(checkpoints[0].validLoss), 3);
    const modelId = done.fineTunedModelId as string;

    // A user who may not see the model cannot build an agent on it.
    await api.post('/api/users').set(as(admin)).send({ username: 'loop-user', password: 'loop-user-password', role: 'user' }).expect(201);
    const user = (await api.post('/api/auth/login').send({ username: 'loop-user', password: 'loop-user-password' }).expect(200)).body.token;
    const refused = await api.post('/api/agents').set(as(user)).send({ name: 'not-mine', config: { provider: { kind: 'gguf', model: modelId } } }).expect(400);
    expect(refused.body.error).toMatchObject({ code: 'model_not_found', details: { field: 'config.provider.model' } });

    const agent = (
      await api
        .post('/api/agents')
        .set(as(admin))
        .send({ name: 'trained', config: { provider: { kind: 'gguf', model: modelId }, generation: { maxTokens: 16, temperature: 0 } } })
        .expect(201)
    ).body;
    await api.post(`/api/agents/${agent.id}/publish`).set(as(admin)).expect(201);
    const key = (await api.post(`/api/agents/${agent.id}/keys`).set(as(admin)).send({ name: 'loop' }).expect(201)).body.key;
    const client = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 0, timeout: 120_000 });
    const completion = await client.chat.completions.create({ model: 'trained', messages: [{ role: 'user', content: 'How are passwords stored?' }] });
    expect(completion.model).toMatch(/^trained/);
    expect(completion.choices[0].finish_reason).toMatch(/^(stop|length)$/);
    expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage!.completion_tokens).toBeLessThanOrEqual(16);
  }, 420_000);
});
