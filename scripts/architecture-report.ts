// Prints the shape of src/ from the TypeScript compiler's parse (issue #18's figures): files over 500 lines,
// functions over 120 lines of their own (nested functions not counted), the own lines of buildApp, import cycles
// between src files (type-only imports included) and exports nothing else imports.
//   node --import=tsx scripts/architecture-report.ts [--json] [--strict]
// --strict exits 1 when any limit is passed (the test suite runs it that way).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LIMITS = { fileLines: 500, functionOwnLines: 120, compositionOwnLines: 80 };
/** Browser code is bundled separately and reaches the server only through the served files. */
const EXCLUDED = ['src/sdk/', 'src/pages/'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return walk(p);
    return /\.ts$/.test(f) && !f.endsWith('.d.ts') ? [p] : [];
  });
}

const rel = (p: string) => relative(root, p).replace(/\\/g, '/');
const srcFiles = walk(join(root, 'src')).filter((f) => !EXCLUDED.some((e) => rel(f).startsWith(e)));
// Browser code is no subject of the figures, but what it imports from the server's files is used.
const otherFiles = [
  ...walk(join(root, 'test')),
  ...walk(join(root, 'scripts')),
  ...walk(join(root, 'src')).filter((f) => EXCLUDED.some((e) => rel(f).startsWith(e))),
];
const parse = (f: string) => ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const c of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')])
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next candidate */
    }
  return undefined;
}

interface ImportEdge {
  to: string;
  names: string[] | '*';
}

function importsOf(sf: ts.SourceFile): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (spec: ts.Expression | undefined, names: string[] | '*') => {
    if (!spec || !ts.isStringLiteral(spec)) return;
    const to = resolveImport(sf.fileName, spec.text);
    if (to) edges.push({ to, names });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const names: string[] = [];
      let all = false;
      if (clause?.name) names.push('default');
      const nb = clause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) all = true;
      if (nb && ts.isNamedImports(nb))
        for (const e of nb.elements) names.push((e.propertyName ?? e.name).text);
      add(node.moduleSpecifier, all ? '*' : names);
    } else if (ts.isExportDeclaration(node)) {
      const names =
        node.exportClause && ts.isNamedExports(node.exportClause)
          ? node.exportClause.elements.map((e) => (e.propertyName ?? e.name).text)
          : '*';
      add(node.moduleSpecifier, names);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], '*');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, '*');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

type FnNode = ts.FunctionLikeDeclaration;
const isFn = (n: ts.Node): n is FnNode =>
  ts.isFunctionDeclaration(n) ||
  ts.isMethodDeclaration(n) ||
  ts.isFunctionExpression(n) ||
  ts.isArrowFunction(n) ||
  ts.isConstructorDeclaration(n) ||
  ts.isGetAccessor(n) ||
  ts.isSetAccessor(n);

/** Lines a function spans, less the lines of functions nested in it. */
function ownLines(sf: ts.SourceFile, fn: FnNode): number {
  const span = (n: ts.Node) => {
    const a = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
    const b = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
    return b - a + 1;
  };
  let nested = 0;
  const visit = (n: ts.Node) => {
    if (isFn(n)) {
      nested += span(n);
      return;
    }
    ts.forEachChild(n, visit);
  };
  if (fn.body) ts.forEachChild(fn.body, visit);
  return span(fn) - nested;
}

function fnName(fn: FnNode): string {
  if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  if (ts.isConstructorDeclaration(fn)) return 'constructor';
  const p = fn.parent;
  if (p && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text;
  if (p && ts.isPropertyAssignment(p) && ts.isIdentifier(p.name)) return p.name.text;
  return '(anonymous)';
}

function exportedNames(sf: ts.SourceFile): string[] {
  const names: string[] = [];
  for (const st of sf.statements) {
    const mods = ts.canHaveModifiers(st) ? ts.getModifiers(st) : undefined;
    if (!mods?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (mods.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) names.push('default');
    else if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) names.push(d.name.text);
      }
    else if (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st) ||
        ts.isEnumDeclaration(st)) &&
      st.name
    )
      names.push(st.name.text);
  }
  return names;
}

const parsed = new Map(srcFiles.map((f) => [f, parse(f)]));
const edges = new Map([...parsed].map(([f, sf]) => [f, importsOf(sf)]));

const bigFiles = srcFiles
  .map((f) => ({ file: rel(f), lines: readFileSync(f, 'utf8').split('\n').length }))
  .filter((x) => x.lines > LIMITS.fileLines);

const longFunctions: { file: string; name: string; lines: number }[] = [];
let composition = 0;
for (const [f, sf] of parsed) {
  const visit = (n: ts.Node) => {
    if (isFn(n)) {
      const lines = ownLines(sf, n);
      if (rel(f) === 'src/app.ts' && fnName(n) === 'buildApp') composition = lines;
      if (lines > LIMITS.functionOwnLines) longFunctions.push({ file: rel(f), name: fnName(n), lines });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}

// Cycles: strongly connected components of the src import graph (Tarjan).
const cycles: string[][] = [];
{
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const { to } of edges.get(v) ?? []) {
      if (!parsed.has(to)) continue;
      if (!idx.has(to)) {
        strong(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (on.has(to)) low.set(v, Math.min(low.get(v)!, idx.get(to)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(rel(w));
      } while (w !== v);
      if (comp.length > 1) cycles.push(comp.sort());
    }
  };
  for (const f of parsed.keys()) if (!idx.has(f)) strong(f);
}

// Dead exports: exported from a src file, imported by no other file of the repository.
const used = new Map<string, Set<string> | '*'>();
for (const f of [...srcFiles, ...otherFiles]) {
  for (const { to, names } of edges.get(f) ?? importsOf(parse(f))) {
    if (to === f) continue;
    const prev = used.get(to);
    if (names === '*' || prev === '*') used.set(to, '*');
    else used.set(to, new Set([...(prev ?? []), ...names]));
  }
}
const deadExports: string[] = [];
for (const [f, sf] of parsed) {
  if (rel(f) === 'src/main.ts' || rel(f) === 'src/cli.ts') continue;
  const u = used.get(f);
  if (u === '*') continue;
  for (const name of exportedNames(sf)) if (!u?.has(name)) deadExports.push(`${rel(f)}: ${name}`);
}

const report = {
  files: srcFiles.length,
  bigFiles,
  longFunctions,
  compositionOwnLines: composition,
  cycles,
  deadExports,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
else {
  console.log(`src files read: ${report.files} (browser code in ${EXCLUDED.join(', ')} not counted)`);
  console.log(`files over ${LIMITS.fileLines} lines: ${bigFiles.length}`);
  for (const b of bigFiles) console.log(`  ${b.file}: ${b.lines}`);
  console.log(`functions over ${LIMITS.functionOwnLines} own lines: ${longFunctions.length}`);
  for (const l of longFunctions) console.log(`  ${l.file} ${l.name}: ${l.lines}`);
  console.log(`buildApp's own lines: ${composition} (limit ${LIMITS.compositionOwnLines})`);
  console.log(`import cycles: ${cycles.length}`);
  for (const c of cycles) console.log(`  ${c.join(' <-> ')}`);
  console.log(`exports nothing imports: ${deadExports.length}`);
  for (const d of deadExports) console.log(`  ${d}`);
}
const failing =
  bigFiles.length +
  longFunctions.length +
  cycles.length +
  deadExports.length +
  (composition > LIMITS.compositionOwnLines ? 1 : 0);
if (process.argv.includes('--strict') && failing > 0) process.exit(1);
