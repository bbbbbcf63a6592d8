import path from 'node:path';
import { ESLint } from 'eslint';
import { createProjectGraphAsync } from '@nx/devkit';

const root = path.resolve(__dirname, '../../..');

async function lint(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  beforeAll(async () => {
    // The lint rule reads Nx's cached project graph; build it first so the rule never silently skips.
    await createProjectGraphAsync({ exitOnError: false });
  }, 60_000);

  it('forbids one service library importing another', async () => {
    const messages = await lint('libs/gateway/src/boundary-probe.ts', "import { createIngestionApp } from '@llmp/ingestion';\nexport const x = createIngestionApp;\n");
    expect(messages.join('\n')).toMatch(/type:feature" can only depend on libs tagged with/);
  });

  it('forbids a shared utility importing data access', async () => {
    const messages = await lint('libs/http/src/boundary-probe.ts', "import { createPgDb } from '@llmp/db';\nexport const x = createPgDb;\n");
    expect(messages.join('\n')).toMatch(/type:util" can only depend on libs tagged with/);
  });

  it('lets an app wire service libraries', async () => {
    expect(await lint('apps/platform/src/boundary-probe.ts', "import { createIngestionApp } from '@llmp/ingestion';\nexport const x = createIngestionApp;\n")).toEqual([]);
  });
});
