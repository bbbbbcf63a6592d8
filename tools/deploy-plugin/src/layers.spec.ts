import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * The plugin's shape, checked on its source: short functions, layers that depend one way
 * (process ← environment ← operations ← executors), and every external program started in process/.
 */
const SRC = __dirname;

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface FunctionSpan {
  file: string;
  name: string;
  lines: number;
}

function functionSpans(file: string): FunctionSpan[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const spans: FunctionSpan[] = [];
  const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;
  const visit = (node: ts.Node) => {
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node)) && node.body) {
      const name = node.name?.getText(source) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : `(line ${line(node.getStart(source)) + 1})`);
      spans.push({ file: relative(SRC, file), name, lines: line(node.end) - line(node.getStart(source)) + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return spans;
}

interface Import {
  module: string;
  /** Values (not types) the import binds. */
  values: string[];
}

function importDetails(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  return source.statements.filter(ts.isImportDeclaration).map((s) => {
    const clause = s.importClause;
    const bindings = clause?.namedBindings;
    const named = bindings && ts.isNamedImports(bindings) ? bindings.elements.filter((e) => !e.isTypeOnly).map((e) => e.name.text) : bindings ? ['*'] : [];
    return { module: (s.moduleSpecifier as ts.StringLiteral).text, values: clause?.isTypeOnly ? [] : [...(clause?.name ? ['default'] : []), ...named] };
  });
}

function importsOf(file: string): string[] {
  return importDetails(file).map((i) => i.module);
}

const files = sourceFiles();
const inLayer = (layer: string) => files.filter((f) => relative(SRC, f).startsWith(`${layer}/`));

describe('the deploy plugin', () => {
  it('has no function longer than 80 lines', () => {
    expect(files.flatMap(functionSpans).filter((s) => s.lines > 80)).toEqual([]);
  });

  it('keeps the stage-up executor under 60 lines', () => {
    const executor = functionSpans(join(SRC, 'executors/stage-up/stage-up.ts')).find((s) => s.name === 'stageUpExecutor');
    expect(executor?.lines).toBeLessThan(60);
  });

  it.each([
    ['process', ['environment', 'operations', 'executors']],
    ['environment', ['operations', 'executors']],
    ['operations', ['executors']],
  ])('keeps %s below %j', (layer, above) => {
    const upward = inLayer(layer).flatMap((f) => importsOf(f).filter((i) => above.some((a) => i.startsWith(`../${a}/`))).map((i) => `${relative(SRC, f)} → ${i}`));
    expect(upward).toEqual([]);
  });

  it('starts every external program through process/: the runner, or compose through the docker-compose package', () => {
    const spawners = files.flatMap((f) =>
      importDetails(f)
        .filter((i) => (['zx', 'docker-compose', 'child_process', 'node:child_process', 'execa'].includes(i.module) && i.values.length) || (/\/shell$/.test(i.module) && i.values.includes('sh')))
        .map((i) => `${relative(SRC, f)} → ${i.module}`),
    );
    expect(spawners.sort()).toEqual(['process/compose.ts → docker-compose', 'process/runner.ts → ./shell', 'process/shell.ts → zx']);
  });
});
