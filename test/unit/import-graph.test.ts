/**
 * The layout rules of the source tree, checked on the import statements themselves: no import cycle between
 * files, no two folders importing each other, lib/ never reaches into a device folder, and lib/wire/ (the pure
 * codecs and types) does no I/O: it imports nothing outside lib/wire/ and no Node module that opens sockets,
 * files or timers.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const SOURCE_FOLDERS = ['lib', 'nodes', 'bin'];
const IO_MODULES = new Set(['net', 'dgram', 'fs', 'fs/promises', 'child_process', 'http', 'https', 'tls', 'timers', 'serialport', 'net-snmp', 'modbus-serial', 'mqtt']);

interface SourceFile {
  file: string;
  localImports: string[];
  packageImports: string[];
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true })) {
    const rel = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), spec));
  for (const candidate of [base + '.ts', path.join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && fs.existsSync(path.join(root, candidate))) return candidate;
  }
  return undefined;
}

function readGraph(): SourceFile[] {
  const files = SOURCE_FOLDERS.flatMap(sourceFiles);
  return files.map((file) => {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    const localImports = specs.filter((s) => s.startsWith('.')).map((s) => resolveLocal(file, s)).filter((f): f is string => f !== undefined);
    const packageImports = specs.filter((s) => !s.startsWith('.')).map((s) => s.replace(/^node:/, ''));
    return { file, localImports, packageImports };
  });
}

/** strongly connected components of more than one file (Tarjan) */
function fileCycles(graph: SourceFile[]): string[][] {
  const edges = new Map(graph.map((g) => [g.file, g.localImports]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const g of graph) if (!index.has(g.file)) visit(g.file);
  return cycles;
}

describe('source layout (import graph)', () => {
  const graph = readGraph();

  it('reads a graph of the whole tree', () => {
    expect(graph.length).to.be.greaterThan(50);
    expect(graph.find((g) => g.file === path.join('nodes', 'jk-bms', 'jk-bms.ts'))?.localImports.length).to.be.greaterThan(3);
  });

  it('has no import cycle between files', () => {
    expect(fileCycles(graph)).to.deep.equal([]);
  });

  it('has no two folders that import each other', () => {
    const folderEdges = new Set<string>();
    for (const g of graph) for (const d of g.localImports) if (path.dirname(g.file) !== path.dirname(d)) folderEdges.add(`${path.dirname(g.file)} -> ${path.dirname(d)}`);
    const bothWays = [...folderEdges].filter((e) => {
      const [a, b] = e.split(' -> ');
      return a < b && folderEdges.has(`${b} -> ${a}`);
    });
    expect(bothWays).to.deep.equal([]);
  });

  it('lib/ imports nothing from a device or node folder', () => {
    const leaks = graph.filter((g) => g.file.startsWith('lib' + path.sep)).flatMap((g) => g.localImports.filter((d) => !d.startsWith('lib' + path.sep)).map((d) => `${g.file} -> ${d}`));
    expect(leaks).to.deep.equal([]);
  });

  it('lib/wire/ is pure: it imports only lib/wire/ and no module that does I/O', () => {
    const wire = graph.filter((g) => g.file.startsWith(path.join('lib', 'wire') + path.sep));
    expect(wire.length).to.be.greaterThan(5);
    const impure = wire.flatMap((g) => [
      ...g.localImports.filter((d) => !d.startsWith(path.join('lib', 'wire') + path.sep)).map((d) => `${g.file} -> ${d}`),
      ...g.packageImports.filter((p) => IO_MODULES.has(p)).map((p) => `${g.file} -> ${p}`),
    ]);
    expect(impure).to.deep.equal([]);
  });

  it('the alarm node finds presets through the registry, not by importing device folders', () => {
    const alarmNode = graph.filter((g) => g.file.startsWith(path.join('nodes', 'alarm-rules') + path.sep));
    const deviceImports = alarmNode.flatMap((g) => g.localImports.filter((d) => d.startsWith('nodes' + path.sep) && !d.startsWith(path.join('nodes', 'alarm-rules'))).map((d) => `${g.file} -> ${d}`));
    expect(deviceImports).to.deep.equal([]);
  });
});
