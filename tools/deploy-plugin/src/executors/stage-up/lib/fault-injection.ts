import type { StageStep } from '../schema';

const BROKEN_DATABASE_URL = 'postgres://llmp:${LLMP_POSTGRES_PASSWORD}@postgres:5432/llmp_injected_failure';

/**
 * A compose override that makes one step of the new release fail for real (pure): the migration
 * and a service run against a database that does not exist. Seed and smoke failures need no
 * override (they are injected in the API calls). Interpolated by compose, so no secret is written.
 */
export function faultOverride(step: StageStep | undefined): string | undefined {
  if (step === 'migrate') {
    return ['# fault injection (stage-up failAt=migrate)', 'services:', '  migrate:', '    environment:', `      LLMP_DATABASE_URL: "${BROKEN_DATABASE_URL}"`, ''].join('\n');
  }
  if (step === 'health') {
    return [
      '# fault injection (stage-up failAt=health)',
      'services:',
      '  document-ingestion:',
      '    restart: "no"',
      '    environment:',
      `      LLMP_DATABASE_URL: "${BROKEN_DATABASE_URL}"`,
      '    healthcheck:',
      '      interval: 2s',
      '      retries: 3',
      '      start_period: 4s',
      '',
    ].join('\n');
  }
  return undefined;
}
