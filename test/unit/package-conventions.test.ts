/**
 * The rules of the Flow Library scorecard (`node-red-dev validate`, docs/node-red-notes.md A9/A10), checked offline:
 * the validator itself needs the catalogue and the registry, which tests cannot reach.
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
  optionalDependencies?: Record<string, string>;
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

/** The style guide's h3 sections in their order, with the headings the core zh-CN help uses. */
const HELP_SECTIONS: ReadonlyArray<{ en: string; zh: string }> = [
  { en: 'Inputs', zh: '输入' },
  { en: 'Outputs', zh: '输出' },
  { en: 'Details', zh: '详细' },
  { en: 'References', zh: '参考' },
];

/** The body of each `<script data-help-name="type">` block in a file. */
function helpBlocks(html: string, type: string): string[] {
  // helpProblems refuses type names other than letters, digits, '_' and '-', so the name needs no escaping
  const re = new RegExp(`<script[^>]*\\sdata-help-name=(["'])${type}\\1[^>]*>([\\s\\S]*?)</script>`, 'g');
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(html))) out.push(m[2]);
  return out;
}

function headings(help: string): string[] {
  return [...help.matchAll(/<h3>([^<]*)<\/h3>/g)].map((m) => m[1].trim());
}

interface HelpProperty {
  name: string;
  optional: boolean;
  typed: boolean;
}

/** Every `<dt>` of every `<dl class="message-properties">`, in order. */
function helpProperties(help: string): HelpProperty[] {
  const out: HelpProperty[] = [];
  for (const dl of help.matchAll(/<dl\s+class="message-properties">([\s\S]*?)<\/dl>/g)) {
    for (const dt of dl[1].matchAll(/<dt([^>]*)>([\s\S]*?)<\/dt>/g)) {
      const typed = /<span class="property-type">[^<]+<\/span>/.test(dt[2]);
      out.push({ name: dt[2].replace(/<span class="property-type">[\s\S]*?<\/span>/, '').replace(/<[^>]+>/g, '').trim(), optional: /class="optional"/.test(dt[1]), typed });
    }
  }
  return out;
}

/** What is wrong with one node type's help, as short sentences (empty when it follows the style guide). */
function helpProblems(reg: Registration, enSources: string[], zhSource: string): string[] {
  const problems: string[] = [];
  if (!/^[\w-]+$/.test(reg.type)) return [`type name ${reg.type} has characters other than letters, digits, _ and -`];
  const en = enSources.flatMap((html) => helpBlocks(html, reg.type));
  const zh = helpBlocks(zhSource, reg.type);
  // Node-RED takes the first en-US help it finds; a second copy would be dead text that drifts
  if (en.length !== 1) problems.push(`en-US help found ${en.length} times, wanted once`);
  if (zh.length !== 1) problems.push(`zh-CN help found ${zh.length} times, wanted once`);
  if (en.length !== 1 || zh.length !== 1) return problems;
  const ports = (key: 'inputs' | 'outputs'): number => Number(new RegExp(`${key}\\s*:\\s*(\\d+)`).exec(reg.body)?.[1] ?? 0);
  const inputs = isConfig(reg) ? 0 : ports('inputs');
  const outputs = isConfig(reg) ? 0 : ports('outputs');
  const wanted = HELP_SECTIONS.filter((s) => (s.en === 'Inputs' ? inputs > 0 : s.en === 'Outputs' ? outputs > 0 : s.en === 'Details'));
  for (const [lang, help, key] of [['en-US', en[0], 'en'], ['zh-CN', zh[0], 'zh']] as const) {
    const found = headings(help);
    const known = HELP_SECTIONS.map((s) => s[key]);
    for (const s of wanted) if (!found.includes(s[key])) problems.push(`${lang}: no <h3>${s[key]}</h3>`);
    for (const h of found) if (!known.includes(h)) problems.push(`${lang}: heading <h3>${h}</h3> is not one of ${known.join(', ')}`);
    if (inputs === 0 && found.includes(HELP_SECTIONS[0][key])) problems.push(`${lang}: <h3>${HELP_SECTIONS[0][key]}</h3> on a node without an input`);
    if (outputs === 0 && found.includes(HELP_SECTIONS[1][key])) problems.push(`${lang}: <h3>${HELP_SECTIONS[1][key]}</h3> on a node without an output`);
    const order = found.filter((h) => known.includes(h)).map((h) => known.indexOf(h));
    if (order.some((v, i) => i > 0 && v <= order[i - 1])) problems.push(`${lang}: sections out of order (${found.join(', ')})`);
    if (!/^\s*<p>/.test(help)) problems.push(`${lang}: does not open with a summary paragraph`);
    for (const p of helpProperties(help)) {
      if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(p.name)) problems.push(`${lang}: message-properties entry "${p.name}" does not name a property`);
      else if (!p.typed) problems.push(`${lang}: property ${p.name} has no <span class="property-type">`);
    }
    if (outputs > 1) {
      const ol = /<ol\s+class="node-ports">([\s\S]*?)<\/ol>/.exec(help);
      const items = ol ? (ol[1].match(/<li[\s>]/g) ?? []).length : 0;
      if (items !== outputs) problems.push(`${lang}: ${outputs} outputs but ${items} items in <ol class="node-ports">`);
    }
  }
  const enSections = headings(en[0]).map((h) => HELP_SECTIONS.find((s) => s.en === h)?.zh ?? h);
  if (JSON.stringify(headings(zh[0])) !== JSON.stringify(enSections)) problems.push(`zh-CN sections ${headings(zh[0]).join(', ')} differ from en-US ${headings(en[0]).join(', ')}`);
  const listed = (help: string): string => helpProperties(help).map((p) => (p.optional ? `[${p.name}]` : p.name)).join(' ');
  if (listed(zh[0]) !== listed(en[0])) problems.push(`zh-CN properties (${listed(zh[0])}) differ from en-US (${listed(en[0])})`);
  return problems;
}

describe('package conventions (Flow Library scorecard, offline)', () => {
  it('P04/P05/P01/P03: scoped name, node-red keyword, licence, repository', () => {
    expect(pkg.name).to.match(/^@[a-z0-9-]+\/node-red-/);
    expect(pkg.keywords).to.include('node-red');
    expect(pkg.license).to.be.a('string').and.not.equal('');
    expect(pkg.repository ?? pkg.bugs).to.not.equal(undefined);
  });

  it('P06/P07: the Node-RED range admits 3.x, 4.x and 5.x; engines.node admits Node 20 to 22+, no older than any dependency needs', () => {
    const range = pkg['node-red'].version ?? '';
    for (const version of ['3.0.0', '3.1.15', '4.1.8', '5.0.7']) expect(semver.satisfies(version, range), version).to.equal(true);
    const engines = pkg.engines?.node ?? '';
    for (const version of ['20.20.0', '22.9.0', '24.0.0']) expect(semver.satisfies(version, engines), version).to.equal(true);
    // serialport 13 needs Node 20: a range that admits 18 promises what the install cannot keep
    const floor = semver.minVersion(engines)?.version ?? '0.0.0';
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) {
      const depPkg = JSON.parse(fs.readFileSync(require.resolve(`${dep}/package.json`, { paths: [ROOT] }), 'utf8')) as { engines?: { node?: string } };
      const needs = depPkg.engines?.node;
      if (needs) expect(semver.satisfies(floor, needs), `${dep} needs Node ${needs}; engines.node starts at ${floor}`).to.equal(true);
    }
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

  it('every node has en-US and zh-CN catalogues with the same keys', () => {
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
    }
  });

  it('every node has its help once per language, in the style guide\'s sections, and zh-CN documents the same properties as en-US', () => {
    const checked: string[] = [];
    const problems: Record<string, string[]> = {};
    for (const distPath of Object.values(pkg['node-red'].nodes)) {
      const { dir, base } = nodeSource(distPath);
      const editorHtml = fs.readFileSync(path.join(dir, `${base}.html`), 'utf8');
      const localized = (lang: string): string => {
        const file = path.join(dir, 'locales', lang, `${base}.html`);
        return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      };
      for (const reg of registrations(editorHtml, base)) {
        checked.push(reg.type);
        const found = helpProblems(reg, [editorHtml, localized('en-US')], localized('zh-CN'));
        if (found.length > 0) problems[reg.type] = found;
      }
    }
    expect(checked.length, 'node types checked').to.equal(ours.length);
    expect(problems).to.deep.equal({});
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

  it('every example explains itself in a comment node: what it shows and how to point it at real hardware', () => {
    const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    expect(files.length).to.be.at.least(7);
    for (const file of files) {
      const nodes = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as Array<{ type: string; name?: string; info?: string }>;
      const comments = nodes.filter((n) => n.type === 'comment');
      expect(comments.length, `${file}: comment nodes`).to.be.at.least(1);
      const text = comments.map((c) => `${c.name ?? ''}\n${c.info ?? ''}`).join('\n');
      expect(comments[0].name ?? '', `${file}: the comment's title`).to.not.equal('');
      // a paragraph, not a label: the examples' comments run 750 to 1,300 characters
      expect(text.length, `${file}: comment length`).to.be.at.least(400);
      expect(text, `${file}: says where the example's data comes from`).to.match(/simulat|inject|function node|npm start/i);
      expect(text, `${file}: says how to use it with real equipment or a real broker`).to.match(/real (hardware|devices?|equipment|broker|PLC)/i);
    }
  });

  it('the README shows a picture of the dialog of every node, and every picture it names exists', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const pictures = [...readme.matchAll(/(?:src="|\]\()(docs\/screenshots\/[\w.-]+\.png)/g)].map((m) => m[1]);
    for (const file of pictures) expect(fs.existsSync(path.join(ROOT, file)), `${file} exists`).to.equal(true);
    for (const reg of ours) expect(pictures, `a picture of the ${reg.type} dialog`).to.include(`docs/screenshots/${reg.type}.png`);
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
