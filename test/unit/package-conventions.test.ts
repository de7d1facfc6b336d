/**
 * The rules of the Flow Library scorecard (`node-red-dev validate`, reference A9/A10), checked offline: the
 * validator itself needs the catalogue and the registry, which tests cannot reach.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as semver from 'semver';

const ROOT = path.resolve(__dirname, '..', '..', '..');
interface PackageJson {
  name: string;
  license?: string;
  repository?: unknown;
  bugs?: unknown;
  keywords?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red': { version?: string; nodes: Record<string, string> };
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;

/** `dist/nodes/x/x.js` -> the source folder and base name */
function nodeSource(distPath: string): { dir: string; base: string } {
  const rel = distPath.replace(/^dist\//, '');
  return { dir: path.join(ROOT, path.dirname(rel)), base: path.basename(rel, '.js') };
}

interface Registration {
  type: string;
  body: string;
  file: string;
}

/** Each RED.nodes.registerType('<literal>', { ... }) in an editor file, with its object text. */
function registrations(html: string, file: string): Registration[] {
  const out: Registration[] = [];
  const re = /RED\.nodes\.registerType\(\s*(['"])([^'"]+)\1\s*,\s*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < html.length && depth > 0; i++) {
      if (html[i] === '{') depth++;
      else if (html[i] === '}') depth--;
    }
    out.push({ type: m[2], body: html.slice(re.lastIndex, i - 1), file });
  }
  return out;
}

function htmlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' || dir === ROOT) out.push(...htmlFiles(full));
    } else if (entry.name.endsWith('.html')) out.push(full);
  }
  return out;
}

const ours: Registration[] = Object.values(pkg['node-red'].nodes).flatMap((distPath) => {
  const { dir, base } = nodeSource(distPath);
  const file = path.join(dir, `${base}.html`);
  return fs.existsSync(file) ? registrations(fs.readFileSync(file, 'utf8'), file) : [];
});

function isConfig(reg: Registration): boolean {
  return /category\s*:\s*['"]config['"]/.test(reg.body);
}

describe('package conventions (Flow Library scorecard, offline)', () => {
  it('P04/P05/P01/P03: scoped name, node-red keyword, licence, repository', () => {
    expect(pkg.name).to.match(/^@[a-z0-9-]+\/node-red-/);
    expect(pkg.keywords).to.include('node-red');
    expect(pkg.license).to.be.a('string').and.not.equal('');
    expect(pkg.repository ?? pkg.bugs).to.not.equal(undefined);
  });

  it('P06/P07: the Node-RED range admits 3.x, 4.x and 5.x; engines.node admits Node 18 to 22+', () => {
    const range = pkg['node-red'].version ?? '';
    for (const version of ['3.0.0', '3.1.15', '4.1.8', '5.0.7']) expect(semver.satisfies(version, range), version).to.equal(true);
    const engines = pkg.engines?.node ?? '';
    for (const version of ['18.5.0', '20.20.0', '22.9.0', '24.0.0']) expect(semver.satisfies(version, engines), version).to.equal(true);
  });

  it('D01: at most 6 runtime dependencies, node-red not among them', () => {
    const deps = Object.keys(pkg.dependencies ?? {});
    expect(deps.length).to.be.at.most(6);
    expect(deps).to.not.include('node-red');
  });

  it('every node file has its .ts source, its .html beside it, and literal registerType properties', () => {
    for (const [set, distPath] of Object.entries(pkg['node-red'].nodes)) {
      const { dir, base } = nodeSource(distPath);
      expect(fs.existsSync(path.join(dir, `${base}.ts`)), `${set}: ${base}.ts`).to.equal(true);
      const html = path.join(dir, `${base}.html`);
      expect(fs.existsSync(html), `${set}: ${base}.html beside the .js`).to.equal(true);
      const regs = registrations(fs.readFileSync(html, 'utf8'), html);
      expect(regs.length, `${set}: a literal RED.nodes.registerType('<type>', {...})`).to.be.at.least(1);
      for (const reg of regs) {
        expect(reg.body, `${reg.type}: defaults inline`).to.match(/defaults\s*:\s*\{/);
        expect(reg.body, `${reg.type}: category inline`).to.match(/category\s*:\s*['"]/);
        if (!isConfig(reg)) {
          expect(reg.body, `${reg.type}: category "DC power"`).to.match(/category\s*:\s*['"]DC power['"]/);
          expect(reg.body, `${reg.type}: icon inline`).to.match(/icon\s*:\s*['"]/);
          expect(reg.body, `${reg.type}: color inline`).to.match(/color\s*:\s*['"]/);
          expect(reg.body, `${reg.type}: inputs inline`).to.match(/inputs\s*:\s*\d/);
          expect(reg.body, `${reg.type}: outputs inline`).to.match(/outputs\s*:\s*\d/);
        }
      }
    }
  });

  it('every node has en-US and zh-CN catalogues with the same keys, and help in both languages', () => {
    const keysOf = (obj: unknown, prefix = ''): string[] =>
      obj && typeof obj === 'object'
        ? Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => (v && typeof v === 'object' ? keysOf(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
        : [];
    for (const distPath of Object.values(pkg['node-red'].nodes)) {
      const { dir, base } = nodeSource(distPath);
      const catalogue = (lang: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, 'locales', lang, `${base}.json`), 'utf8'));
      const en = keysOf(catalogue('en-US')).sort();
      const zh = keysOf(catalogue('zh-CN')).sort();
      expect(zh, `${base}: zh-CN keys match en-US`).to.deep.equal(en);
      const editorHtml = fs.readFileSync(path.join(dir, `${base}.html`), 'utf8');
      for (const reg of registrations(editorHtml, base)) {
        for (const lang of ['en-US', 'zh-CN']) {
          const localized = path.join(dir, 'locales', lang, `${base}.html`);
          const help = (fs.existsSync(localized) ? fs.readFileSync(localized, 'utf8') : '') + (lang === 'en-US' ? editorHtml : '');
          expect(help, `${reg.type}: ${lang} help`).to.match(new RegExp(`data-help-name=["']${reg.type}["']`));
          if (!isConfig(reg) && lang === 'en-US') {
            for (const section of ['Inputs', 'Outputs', 'Details']) expect(help, `${reg.type}: help section ${section}`).to.contain(`<h3>${section}</h3>`);
          }
        }
      }
    }
  });

  it('N02: every non-config node appears in at least one example', () => {
    const exampleTypes = new Set<string>();
    const walk = (dir: string): void => {
      if (!fs.existsSync(dir)) return;
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith('.json')) {
          const nodes = JSON.parse(fs.readFileSync(full, 'utf8')) as Array<{ type: string }>;
          expect(nodes, `${entry.name} is an array of nodes`).to.be.an('array');
          for (const n of nodes) exampleTypes.add(n.type);
        }
      }
    };
    walk(path.join(ROOT, 'examples'));
    for (const reg of ours.filter((r) => !isConfig(r))) expect(exampleTypes.has(reg.type), `${reg.type} in an example`).to.equal(true);
  });

  it('N01: node type names do not collide with the core nodes or the best-known peer packages', () => {
    const peerTypes = new Set<string>();
    const peers = ['@node-red/nodes', 'node-red-contrib-modbus', 'node-red-node-snmp', '@flowfuse/node-red-dashboard'];
    for (const peer of peers) {
      const dir = path.join(ROOT, 'node_modules', peer);
      for (const file of htmlFiles(dir)) for (const reg of registrations(fs.readFileSync(file, 'utf8'), file)) peerTypes.add(reg.type);
    }
    expect(peerTypes.size, 'peer node types found').to.be.greaterThan(30);
    const names = ours.map((r) => r.type);
    expect(new Set(names).size, 'our type names unique').to.equal(names.length);
    for (const name of names) expect(peerTypes.has(name), `${name} collides with a peer's node type`).to.equal(false);
  });

  it('examples, dist, locales and the CLI are what the published package contains', () => {
    const files = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files;
    for (const needed of ['dist/nodes', 'dist/lib', 'dist/bin', 'examples']) expect(files).to.include(needed);
  });
});
