import { createReadStream } from 'node:fs';
import { createTrainingJobBody, trainingPageQuery } from '@llmp/contracts';
import { route, type RouteSpec } from '@llmp/http';
import type { TrainedModel } from '../models/model';
import type { ModelsService } from '../models/models.service';
import type { Checkpoint, Job, JobEvent } from './job';
import type { JobsService } from './jobs.service';
import { MODEL_PRESETS } from './presets';

/** Paths and the runner's bookkeeping stay inside the service. */
export function jobView({ workDir: _workDir, ...job }: Job) {
  return job;
}
export function checkpointView({ artifactPath: _path, ...checkpoint }: Checkpoint) {
  return checkpoint;
}
export function modelView({ artifactPath: _path, ...model }: TrainedModel) {
  return { ...model, download: `/api/training/models/${model.id}/download` };
}

const pageOf = <T, V>(page: { data: T[]; hasMore: boolean }, view: (t: T) => V & { id: string }) => {
  const data = page.data.map(view);
  return { data, hasMore: page.hasMore, nextCursor: page.hasMore ? data[data.length - 1].id : null };
};

export function trainingRoutes(jobs: JobsService, models: ModelsService): RouteSpec[] {
  const tag = 'training';
  return [
    route({
      method: 'get',
      path: '/api/training/presets',
      tag,
      summary: 'The architectures the built-in trainer trains, with their largest context length',
      access: 'user',
      handle: () => ({ data: MODEL_PRESETS }),
    }),
    route({
      method: 'post',
      path: '/api/training/jobs',
      tag,
      summary: 'Start a fine-tuning job on a frozen dataset version; refused with 422 and the estimate when it would not fit the memory or time limits',
      access: 'user',
      status: 201,
      body: createTrainingJobBody,
      handle: async ({ body, identity }) => jobView(await jobs.create(identity!, body)),
    }),
    route({
      method: 'get',
      path: '/api/training/jobs',
      tag,
      summary: 'Your fine-tuning jobs (managers: all), newest first; page with `after` = the last id',
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ query, identity }) => pageOf(await jobs.list(identity!, query), jobView),
    }),
    route({
      method: 'get',
      path: '/api/training/jobs/:id',
      tag,
      summary: 'One fine-tuning job: state, progress, estimate, error',
      access: 'user',
      handle: async ({ params, identity }) => jobView(await jobs.get(identity!, params.id)),
    }),
    route({
      method: 'post',
      path: '/api/training/jobs/:id/cancel',
      tag,
      summary: 'Cancel a job that has not finished (409 when it has, or when a cancel is already under way)',
      access: 'user',
      handle: async ({ params, identity }) => jobView(await jobs.cancel(identity!, params.id)),
    }),
    route({
      method: 'delete',
      path: '/api/training/jobs/:id',
      tag,
      summary: 'Delete a finished job with its events, checkpoints, model and files (409 while it has not finished)',
      access: 'user',
      status: 204,
      handle: async ({ params, identity, res }) => {
        await jobs.delete(identity!, params.id);
        res.status(204).end();
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/api/training/jobs/:id/events',
      tag,
      summary: 'A job\'s events oldest first; with "Accept: text/event-stream", live as server-sent events until the job finishes',
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ params, query, identity, req, res }) => {
        if (!(req.headers.accept ?? '').includes('text/event-stream')) return pageOf(await jobs.events(identity!, params.id, { ...query, order: 'asc' }), (e: JobEvent) => e);
        const stop = new AbortController();
        const events = jobs.follow(identity!, params.id, { after: query.after ?? (req.headers['last-event-id'] as string | undefined), signal: stop.signal });
        // The first step checks the job exists and is the caller's, so a 404 is still a plain JSON answer.
        const first = await events.next();
        res.on('close', () => stop.abort());
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        const send = (event: JobEvent) => res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        // A comment now and then keeps proxies from closing a stream that is quiet between evaluations.
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
        try {
          if (!first.done) send(first.value);
          for await (const event of events) send(event);
        } finally {
          clearInterval(keepAlive);
        }
        if (!stop.signal.aborted) res.write(`event: end\ndata: ${JSON.stringify({ jobId: params.id })}\n\n`);
        res.end();
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/api/training/jobs/:id/checkpoints',
      tag,
      summary: "A job's checkpoints, newest first: step, training and validation loss, perplexity",
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ params, query, identity }) => pageOf(await jobs.checkpoints(identity!, params.id, query), checkpointView),
    }),
    route({
      method: 'get',
      path: '/api/training/models',
      tag,
      summary: 'Trained models (yours; managers: all), newest first, with lineage and metrics',
      access: 'user',
      query: trainingPageQuery,
      handle: async ({ query, identity }) => pageOf(await models.list(identity!, query), modelView),
    }),
    route({
      method: 'get',
      path: '/api/training/models/:id',
      tag,
      summary: 'One trained model: architecture, dataset version, hyperparameters, metrics, job and checkpoint, size',
      access: 'user',
      handle: async ({ params, identity }) => modelView(await models.get(identity!, params.id)),
    }),
    route({
      method: 'get',
      path: '/api/training/models/:id/download',
      tag,
      summary: "The model's GGUF file (llama architecture, loadable by llama.cpp)",
      access: 'user',
      handle: async ({ params, identity, res }) => {
        const { model, path, sizeBytes } = await models.artifact(identity!, params.id);
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(sizeBytes),
          'content-disposition': `attachment; filename="${model.id}.gguf"`,
        });
        createReadStream(path).pipe(res);
        return undefined;
      },
    }),
  ];
}
