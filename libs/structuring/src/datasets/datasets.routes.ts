import { once } from 'node:events';
import type { Request, Response } from 'express';
import busboy from 'busboy';
import { z } from 'zod';
import {
  buildDatasetBody,
  cleaningBody,
  createDatasetBody,
  datasetHoldSchema,
  exportVersionQuery,
  freezeVersionBody,
  listDatasetRecordsQuery,
  reviewDatasetBody,
  setMemberBody,
  updateDatasetRecordBody,
  uploadDatasetQuery,
  userIdSchema,
  versionRecordsQuery,
} from '@llmp/contracts';
import { invalid } from '@llmp/core';
import { parse, route, type RouteSpec } from '@llmp/http';
import type { DatasetBuilds } from '../build/dataset-builds';
import type { DatasetsService } from './datasets.service';

const tag = 'datasets';
export const UPLOAD_PATH = '/api/datasets/:id/uploads';

const memberId = (params: Record<string, string>) => parse(z.object({ userId: userIdSchema }), { userId: params.userId }, 'params').userId;
const holderOf = (params: Record<string, string>) => parse(datasetHoldSchema, { holder: params.holder }, 'params').holder;

/** A file part of a multipart body, or the raw body itself. */
async function uploadedFile(req: Request, rawFilename: string | null): Promise<{ content: AsyncIterable<Uint8Array>; filename: string | null }> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) return { content: req, filename: rawFilename };
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 64 * 1024 } });
  } catch (error) {
    throw invalid({ code: 'malformed_multipart', message: `the multipart body cannot be read: ${(error as Error).message}` });
  }
  const file = new Promise<{ content: AsyncIterable<Uint8Array>; filename: string | null }>((resolve, reject) => {
    parser.on('file', (_field, stream, info) => resolve({ content: stream, filename: info.filename ?? null }));
    parser.on('error', (error) => reject(invalid({ code: 'malformed_multipart', message: `the multipart body cannot be read: ${(error as Error).message}` })));
    parser.on('close', () => reject(invalid({ code: 'no_file', message: 'the multipart body holds no file part' })));
  });
  req.pipe(parser);
  return file;
}

/** A body that breaks off mid-way is the caller's 400, and nothing of it is stored. */
async function* interruptible(content: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* content;
  } catch (error) {
    throw invalid({ code: 'upload_interrupted', message: `the upload broke off before its end: ${(error as Error).message}` });
  }
}

async function stream(res: Response, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (!res.write(chunk)) await once(res, 'drain');
  }
  res.end();
}

export function uploadRoute(datasets: DatasetsService): RouteSpec {
  return route({
    method: 'post',
    path: UPLOAD_PATH,
    tag,
    summary:
      'Upload JSONL, a JSON array or CSV (multipart/form-data with one file, or the raw body; ?fileType= and ?format= force what is otherwise detected). ' +
      'Every line is validated: the good records are stored together, the bad lines reported as "line 17: messages[2].role must be one of system, user, assistant" ' +
      '(the first 100, and the total). 201 with the report; 422 when no line could be stored; ?dryRun=true checks and reports (200) without storing.',
    access: 'user',
    query: uploadDatasetQuery.extend({ filename: z.string().max(255).optional() }),
    status: 201,
    handle: async ({ params, query, req, res, identity }) => {
      const { filename, ...options } = query;
      const file = await uploadedFile(req, filename ?? null);
      const report = await datasets.upload(params.id, { content: interruptible(file.content), filename: file.filename, options }, identity!);
      res.status(report.dryRun ? 200 : 201).json(report);
    },
  });
}

export function datasetsRoutes(datasets: DatasetsService, builds: DatasetBuilds, loadDemo: () => Promise<{ dataset: unknown; build: unknown | null }>): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/datasets/demo',
      tag,
      summary: 'Build the "Demo" dataset from the demo knowledge base and freeze one version, once (the staging seed calls this after /api/ingestion/demo)',
      access: 'admin',
      handle: async ({ res }) => {
        const result = await loadDemo();
        res.status(result.build ? 201 : 200).json(result);
      },
    }),
    route({
      method: 'get',
      path: '/api/datasets/versions/:versionId',
      tag,
      summary: 'A frozen version: its split counts, split settings, recipe, statistics and holds',
      access: 'user',
      handle: ({ params, identity }) => datasets.version(params.versionId, identity!),
    }),
    route({
      method: 'get',
      path: '/api/datasets/versions/:versionId/records',
      tag,
      summary: 'The records of a frozen version as NDJSON, one {"id", "messages"} or {"id", "text"} per line, optionally of one split',
      access: 'user',
      query: versionRecordsQuery,
      handle: async ({ params, query, identity, res }) => {
        const records = await datasets.versionRecords(params.versionId, query.split, identity!);
        res.status(200).type('application/x-ndjson');
        await stream(res, (async function* () {
          for await (const record of records) yield `${JSON.stringify(record)}\n`;
        })());
      },
    }),
    route({
      method: 'get',
      path: '/api/datasets/versions/:versionId/export',
      tag,
      summary: 'Export a frozen version, streamed: openai-chat (JSONL), alpaca (JSON), sharegpt (JSON) or text (JSONL), optionally one split',
      access: 'user',
      query: exportVersionQuery,
      handle: async ({ params, query, identity, res }) => {
        const { version, chunks } = await datasets.export(params.versionId, query, identity!);
        const json = query.format === 'alpaca' || query.format === 'sharegpt';
        const name = `${version.datasetId}-v${version.number}${query.split ? `-${query.split}` : ''}-${query.format}.${json ? 'json' : 'jsonl'}`;
        res.status(200).type(json ? 'application/json' : 'application/x-ndjson').setHeader('content-disposition', `attachment; filename="${name}"`);
        await stream(res, chunks);
      },
    }),
    route({
      method: 'put',
      path: '/api/datasets/versions/:versionId/holds/:holder',
      tag,
      summary: 'Hold a version (a training job that uses it): its dataset cannot be deleted while any hold remains',
      access: 'user',
      handle: ({ params, identity }) => datasets.hold(params.versionId, holderOf(params), identity!),
    }),
    route({
      method: 'delete',
      path: '/api/datasets/versions/:versionId/holds/:holder',
      tag,
      summary: 'Release a hold on a version',
      access: 'user',
      handle: async ({ params, identity, res }) => {
        await datasets.release(params.versionId, holderOf(params), identity!);
        res.status(204).end();
      },
    }),
    route({
      method: 'get',
      path: '/api/datasets/builds/:buildId',
      tag,
      summary: 'A knowledge-base build: status, progress (documents, chunks, records) and any error',
      access: 'user',
      handle: ({ params, identity }) => builds.get(params.buildId, identity!),
    }),
    route({
      method: 'post',
      path: '/api/datasets/builds/:buildId/cancel',
      tag,
      summary: 'Cancel a queued or running build; the records it stored are removed',
      access: 'user',
      handle: ({ params, identity }) => builds.cancel(params.buildId, identity!),
    }),
    route({
      method: 'get',
      path: '/api/datasets',
      tag,
      summary: 'List the datasets you may read (managers: all) with their record counts',
      access: 'user',
      handle: async ({ identity }) => ({ data: await datasets.list(identity!) }),
    }),
    route({
      method: 'post',
      path: '/api/datasets',
      tag,
      summary: 'Create a dataset you own (private unless "visibility" says organisation)',
      access: 'user',
      status: 201,
      body: createDatasetBody,
      handle: ({ body, identity }) => datasets.create(body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id',
      tag,
      summary: 'Get a dataset: record counts by status and its draft recipe (sources and cleaning passes so far)',
      access: 'user',
      handle: ({ params, identity }) => datasets.get(params.id, identity!),
    }),
    route({
      method: 'delete',
      path: '/api/datasets/:id',
      tag,
      summary: 'Delete a dataset with its records and versions; 409 while a version is held; owner or manager',
      access: 'user',
      handle: async ({ params, identity, res }) => {
        await datasets.delete(params.id, identity!);
        res.status(204).end();
      },
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id/members',
      tag,
      summary: 'Who besides its owner may read (viewer) or also change (editor) a dataset',
      access: 'user',
      handle: ({ params, identity }) => datasets.members(params.id, identity!),
    }),
    route({
      method: 'put',
      path: '/api/datasets/:id/members/:userId',
      tag,
      summary: 'Add a member to a dataset or change their role (viewer, editor); owner or manager',
      access: 'user',
      body: setMemberBody,
      handle: ({ params, body, identity }) => datasets.setMember(params.id, memberId(params), body.role, identity!),
    }),
    route({
      method: 'delete',
      path: '/api/datasets/:id/members/:userId',
      tag,
      summary: 'Remove a member from a dataset; owner or manager',
      access: 'user',
      handle: async ({ params, identity, res }) => {
        await datasets.removeMember(params.id, memberId(params), identity!);
        res.status(204).end();
      },
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id/records',
      tag,
      summary: 'Page through records (?status=pending|accepted|rejected, ?after=<last id>, ?limit=)',
      access: 'user',
      query: listDatasetRecordsQuery,
      handle: ({ params, query, identity }) => datasets.records(params.id, query, identity!),
    }),
    route({
      method: 'patch',
      path: '/api/datasets/:id/records/:recordId',
      tag,
      summary: 'Review one record: replace its content (any record format, validated) and/or set its status; managers',
      access: 'manager',
      body: updateDatasetRecordBody,
      handle: ({ params, body, identity }) => datasets.updateRecord(params.id, params.recordId, body, identity!),
    }),
    route({
      method: 'post',
      path: '/api/datasets/:id/review',
      tag,
      summary: 'Set the status of the named records, or of all records with status "from" (default pending); managers',
      access: 'manager',
      body: reviewDatasetBody,
      handle: ({ params, body, identity }) => datasets.review(params.id, body, identity!),
    }),
    route({
      method: 'post',
      path: '/api/datasets/:id/cleaning',
      tag,
      summary: 'Run cleaning passes over the records not rejected (exact dedup, near dedup with MinHash, PII redaction, length filter); each is added to the draft recipe with its counts',
      access: 'user',
      body: cleaningBody,
      handle: ({ params, body, identity }) => datasets.clean(params.id, body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id/versions',
      tag,
      summary: "A dataset's frozen versions, newest first",
      access: 'user',
      handle: async ({ params, identity }) => ({ data: await datasets.versions(params.id, identity!) }),
    }),
    route({
      method: 'post',
      path: '/api/datasets/:id/versions',
      tag,
      summary: 'Freeze a version from the accepted records (or all not rejected): validated again, split by record id and seed, at least 10 examples by default',
      access: 'user',
      status: 201,
      body: freezeVersionBody,
      handle: ({ params, body, identity }) => datasets.freeze(params.id, body, identity!),
    }),
    route({
      method: 'get',
      path: '/api/datasets/:id/builds',
      tag,
      summary: "A dataset's knowledge-base builds, newest first",
      access: 'user',
      handle: async ({ params, identity }) => ({ data: await builds.list(params.id, identity!) }),
    }),
    route({
      method: 'post',
      path: '/api/datasets/:id/builds',
      tag,
      summary: 'Build records from a knowledge base you may read, as a job: question/answer pairs (mode "qa", extractive) or each chunk as text (mode "text")',
      access: 'user',
      status: 202,
      body: buildDatasetBody,
      handle: ({ params, body, identity }) => builds.start(params.id, body, identity!),
    }),
  ];
}
