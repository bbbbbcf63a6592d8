import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}

interface Job {
  name: string;
  env?: Record<string, string>;
  needs?: string | string[];
  if?: string;
  'runs-on': unknown;
  'timeout-minutes'?: number;
  steps: Step[];
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const root = join(__dirname, '../../../..');
const workflow = parse(readFileSync(join(root, '.github/workflows/staging-deploy.yml'), 'utf8')) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const needs = (job: Job) => [job.needs ?? []].flat();

describe('.github/workflows/staging-deploy.yml', () => {
  it('has the jobs Prepare, Build, Test, Deploy and Cleanup', () => {
    expect(Object.fromEntries(Object.entries(workflow.jobs).map(([id, job]) => [id, job.name]))).toEqual({
      prepare: 'Prepare',
      build: 'Build',
      test: 'Test',
      deploy: 'Deploy',
      cleanup: 'Cleanup',
    });
  });

  it('orders the pipeline: Build and Test after Prepare, Deploy after all three', () => {
    expect(needs(workflow.jobs.build)).toEqual(['prepare']);
    expect(needs(workflow.jobs.test)).toEqual(['prepare']);
    expect(needs(workflow.jobs.deploy).sort()).toEqual(['build', 'prepare', 'test']);
  });

  it('calls the same Nx targets as a developer', () => {
    expect(runs(workflow.jobs.build)).toMatch(/npx nx affected -t docker-build/);
    expect(runs(workflow.jobs.build)).toMatch(/npx nx run-many -t docker-build/);
    expect(runs(workflow.jobs.test)).toMatch(/npm test/);
    expect(runs(workflow.jobs.deploy)).toMatch(/npx nx run deploy:stage/);
    expect(runs(workflow.jobs.cleanup)).toMatch(/npx nx run deploy:reap/);
  });

  it('passes images from Build to Deploy through the registry, and says that without one they must share a runner', () => {
    expect(workflow.jobs.build.env?.['LLMP_REGISTRY']).toBe('${{ vars.LLMP_REGISTRY }}');
    const stage = workflow.jobs.deploy.steps.find((s) => s.run?.includes('deploy:stage'));
    expect(stage?.env?.['LLMP_REGISTRY']).toBe('${{ vars.LLMP_REGISTRY }}');
    expect(stage?.run).toContain('${LLMP_REGISTRY:+--build=none}');
    expect(runs(workflow.jobs.build)).toMatch(/if \[ -n "\$LLMP_REGISTRY" \][\s\S]*run-many[\s\S]*else[\s\S]*same runner[\s\S]*affected/);
  });

  it('reaps on a schedule, and only Cleanup runs then', () => {
    const schedule = workflow.on['schedule'] as Array<{ cron: string }>;
    expect(schedule).toHaveLength(1);
    expect(schedule[0].cron.split(' ')).toHaveLength(5);
    expect(workflow.jobs.cleanup.if).toMatch(/github\.event_name == 'schedule'/);
    expect(workflow.jobs.prepare.if).toMatch(/github\.event_name != 'schedule'/);
    const reapStep = workflow.jobs.cleanup.steps.find((s) => s.run?.includes('deploy:reap'));
    expect(reapStep?.if).toMatch(/schedule/);
  });

  it('gives the private key to the stage step only, from a secret', () => {
    for (const [id, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) {
        const key = step.env?.['DOTENV_PRIVATE_KEY_STAGING'];
        if (key !== undefined) {
          expect([id, step.run]).toEqual(['deploy', expect.stringContaining('deploy:stage')]);
          expect(key).toBe('${{ secrets.DOTENV_PRIVATE_KEY_STAGING }}');
        }
      }
    }
    expect(JSON.stringify(workflow)).not.toMatch(/echo[^"]*secrets\./);
  });

  it('runs with read-only permissions, bounded jobs, and without the Nx daemon', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const job of Object.values(workflow.jobs)) expect(job['timeout-minutes']).toBeGreaterThan(0);
    expect(workflow.env).toMatchObject({ CI: 'true', NX_DAEMON: 'false' });
  });

  it('keeps the deployment artifacts of every run', () => {
    const upload = workflow.jobs.deploy.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload?.if).toBe('always()');
  });
});
