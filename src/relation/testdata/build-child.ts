// Compiles the crash writer and what it imports (src/core, src/relation) to plain JavaScript once,
// so each of the test's 50 child processes starts as bare `node` (~0.1 s of CPU) instead of paying
// for the tsx loader (~0.3 s) every time: that keeps the crash test well inside its time budget.
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.bench.ts')) out.push(path);
  }
  return out;
}

/** Transpiles `<repo>/src/{core,relation}` into `outDir`; returns the crash writer's .js path. */
export async function buildCrashWriter(repo: string, outDir: string): Promise<string> {
  for (const module of ['core', 'relation']) {
    for (const file of await sources(join(repo, 'src', module))) {
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: file,
      });
      const target = join(outDir, relative(repo, file)).replace(/\.ts$/, '.js');
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, outputText);
    }
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n');
  await symlink(join(repo, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return join(outDir, 'src', 'relation', 'testdata', 'crash-writer.js');
}
