/**
 * Every text key an editor file asks for exists in both shipped catalogues of the namespace the editor looks it
 * up in, checked offline from the sources. A key that does not resolve is shown to the user as the key itself
 * (`rs485-bus.tip.found`), which the dialog test only catches for texts that happen to be on screen.
 *
 * How the editor resolves keys (node-red editor-client, red.js): `data-i18n` in a dialog template gets the node's
 * set namespace `<module>/<set>` prepended unless it names one (`ns:key`); `this._()`/`node._()` do the same;
 * `RED._()` does not, so without `ns:` it looks in the editor's own catalogue. Node-RED reads only `data-i18n`
 * (with `[attr]` prefixes, several separated by `;`), never `data-i18n-title` and the like.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LANGS = ['en-US', 'zh-CN'] as const;
type Lang = (typeof LANGS)[number];
type Catalogue = Record<string, unknown>;

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; 'node-red': { nodes: Record<string, string> } };

/** set name -> source dir and base name of its .js/.html/catalogue */
const SETS = new Map(
  Object.entries(pkg['node-red'].nodes).map(([set, dist]) => {
    const rel = dist.replace(/^dist\//, '');
    return [set, { dir: path.join(ROOT, path.dirname(rel)), base: path.basename(rel, '.js') }] as const;
  }),
);

function readJson(file: string): Catalogue {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Catalogue;
}

/** a set's catalogue as the built package serves it: lib/locales common texts merged under `common` (scripts/build.js) */
function ourCatalogue(set: string, lang: Lang): Catalogue {
  const s = SETS.get(set);
  if (!s) throw new Error(`no node set ${set}`);
  const file = path.join(s.dir, 'locales', lang, `${s.base}.json`);
  const catalogue = fs.existsSync(file) ? readJson(file) : {};
  const common = path.join(ROOT, 'lib', 'locales', lang, 'common.json');
  return { ...catalogue, common: { ...(fs.existsSync(common) ? readJson(common) : {}), ...((catalogue.common as Catalogue | undefined) ?? {}) } };
}

const cache = new Map<string, Catalogue>();
/** the catalogue of a namespace the editor knows: ours, Node-RED's core nodes (`node-red`), or the editor's own */
function catalogue(ns: string, lang: Lang): Catalogue | undefined {
  const key = `${ns}|${lang}`;
  if (!cache.has(key)) {
    let c: Catalogue | undefined;
    if (ns.startsWith(pkg.name + '/')) c = SETS.has(ns.slice(pkg.name.length + 1)) ? ourCatalogue(ns.slice(pkg.name.length + 1), lang) : undefined;
    else if (ns === 'node-red') c = readJson(require.resolve(`@node-red/nodes/locales/${lang}/messages.json`));
    else if (ns === 'editor') c = readJson(require.resolve(`@node-red/editor-client/locales/${lang}/editor.json`));
    if (c) cache.set(key, c);
  }
  return cache.get(key);
}

function lookup(c: Catalogue, key: string): unknown {
  let node: unknown = c;
  for (const part of key.split('.')) node = node && typeof node === 'object' ? (node as Catalogue)[part] : undefined;
  return node;
}

/** a full key resolves to a text (i18next also takes `key_plural` and the like when a count is given) */
function resolves(c: Catalogue, key: string): boolean {
  return ['', '_plural', '_one', '_other'].some((suffix) => typeof lookup(c, key + suffix) === 'string');
}

interface KeyUse {
  file: string;
  line: number;
  /** `ns:key`, or a key in the file's own namespace */
  key: string;
  /** the key ends in a run-time value: only its literal start is known and must be a group of texts */
  prefixOnly: boolean;
  how: string;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

const STRING = String.raw`'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"`;

/**
 * The key of a call's first argument: literals and file constants joined by `+`. A trailing run-time value
 * leaves a known prefix; anything else (a variable, a property) cannot be checked statically.
 */
function keyExpression(expr: string, constants: Map<string, string>): { key: string; prefixOnly: boolean } | undefined {
  const parts = expr.split('+').map((p) => p.trim());
  let key = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (/^(['"]).*\1$/.test(p)) key += p.slice(1, -1);
    else if (constants.has(p)) key += constants.get(p);
    else return i > 0 && key !== '' ? { key, prefixOnly: true } : undefined;
  }
  return { key, prefixOnly: false };
}

/** the first argument of a call starting at `from` (just after the opening parenthesis), up to `,` or `)` at depth 0 */
function firstArgument(text: string, from: number): string {
  let depth = 0;
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) return text.slice(from, i);
      depth--;
    } else if (ch === ',' && depth === 0) return text.slice(from, i);
  }
  return text.slice(from);
}

interface Scan {
  uses: KeyUse[];
  /** calls whose key is computed at run time, as written */
  unchecked: string[];
  /** attributes Node-RED does not translate */
  strayAttributes: string[];
}

function scan(file: string): Scan {
  const text = fs.readFileSync(file, 'utf8');
  const rel = path.relative(ROOT, file);
  const out: Scan = { uses: [], unchecked: [], strayAttributes: [] };
  // string constants of the file (`var NS = 'jupiter-hvdc.'`)
  const constants = new Map<string, string>();
  for (const m of text.matchAll(new RegExp(String.raw`\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*(${STRING})\s*;`, 'g'))) constants.set(m[1], m[2].slice(1, -1));
  // translation calls: RED._ / this._ / node._ (or any `<name>._`), and helpers that wrap one (`function t(key) { return RED._(NS + key) }`)
  const callers: Array<{ re: RegExp; prefix: string; direct: boolean }> = [{ re: /\b(RED|this|[A-Za-z_$][\w$]*)\._\(/g, prefix: '', direct: true }];
  for (const m of text.matchAll(/function\s+([A-Za-z_$][\w$]*)\s*\(\s*([A-Za-z_$][\w$]*)[^)]*\)\s*\{\s*return\s+RED\._\(([^,)]*)/g)) {
    const [, name, param, arg] = m;
    const parts = arg.split('+').map((p) => p.trim());
    if (parts[parts.length - 1] !== param) continue;
    const prefix = keyExpression(parts.slice(0, -1).join('+') || "''", constants);
    if (prefix && !prefix.prefixOnly) callers.push({ re: new RegExp(String.raw`(?<![\w$.])(${name})\(`, 'g'), prefix: prefix.key, direct: false });
  }
  for (const caller of callers) {
    for (const m of text.matchAll(caller.re)) {
      const start = (m.index ?? 0) + m[0].length;
      // the helper's own definition is not a use
      if (!caller.direct && /function\s+$/.test(text.slice(Math.max(0, (m.index ?? 0) - 12), m.index))) continue;
      const arg = firstArgument(text, start).trim();
      // `cond ? 'a' : 'b'` picks one of two literal keys: check both
      const choice = new RegExp(String.raw`\?\s*(${STRING})\s*:\s*(${STRING})$`).exec(arg);
      const parsed = choice ? [choice[1], choice[2]].map((k) => keyExpression(k, constants)) : [keyExpression(arg, constants)];
      if (parsed.some((p) => !p)) {
        out.unchecked.push(`${rel}:${lineOf(text, m.index ?? 0)} ${m[0]}${arg})`);
        continue;
      }
      for (const p of parsed as Array<{ key: string; prefixOnly: boolean }>) {
        const key = caller.prefix + p.key;
        // RED._ without a namespace looks in the editor's catalogue
        const full = caller.direct && m[1] === 'RED' && !key.includes(':') ? `editor:${key}` : key;
        out.uses.push({ file: rel, line: lineOf(text, m.index ?? 0), key: full, prefixOnly: p.prefixOnly, how: `${m[0]}${arg})` });
      }
    }
  }
  // data-i18n attributes, in the template and in markup the scripts build
  for (const m of text.matchAll(/\sdata-i18n=("([^"]*)"|'([^']*)')/g)) {
    const value = m[2] ?? m[3] ?? '';
    for (const entry of value.split(';')) {
      const key = entry.trim().replace(/^\[[\w-]+\]/, '');
      if (key === '') continue;
      out.uses.push({ file: rel, line: lineOf(text, m.index ?? 0), key, prefixOnly: false, how: `data-i18n="${value}"` });
    }
  }
  for (const m of text.matchAll(/\sdata-i18n-[\w-]+=/g)) out.strayAttributes.push(`${rel}:${lineOf(text, m.index ?? 0)} ${m[0].trim()}`);
  return out;
}

/** every .html under nodes/, with the namespace of the node set whose .js sits next to it */
function htmlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...htmlFiles(full));
    else if (entry.name.endsWith('.html')) out.push(full);
  }
  return out;
}

function namespaceOf(file: string): string | undefined {
  // an editor file is <dir>/<base>.html; a help file <dir>/locales/<lang>/<base>.html
  const base = path.basename(file, '.html');
  let dir = path.dirname(file);
  if (path.basename(path.dirname(dir)) === 'locales') dir = path.dirname(path.dirname(dir));
  for (const [set, s] of SETS) if (s.dir === dir && s.base === base) return `${pkg.name}/${set}`;
  return undefined;
}

const FILES = htmlFiles(path.join(ROOT, 'nodes'));
const SCANS = FILES.map((file) => ({ file, ns: namespaceOf(file), scan: scan(file) }));

describe('i18n keys of the editor files', () => {
  it('finds the editor files and the keys they use (the scanner sees what it should)', () => {
    const editors = SCANS.filter((s) => !s.file.includes(`${path.sep}locales${path.sep}`));
    expect(editors.length, 'an editor .html per node set').to.equal(SETS.size);
    for (const s of editors) expect(s.scan.uses.length, `${path.relative(ROOT, s.file)} uses keys`).to.be.greaterThan(5);
    const all = SCANS.flatMap((s) => s.scan.uses);
    // one of each form, so a scanner that stops matching a form fails here rather than passing quietly
    expect(all.some((u) => u.how.startsWith('data-i18n="[title]'))).to.equal(true);
    expect(all.some((u) => u.how.startsWith('data-i18n="[placeholder]'))).to.equal(true);
    expect(all.some((u) => /^data-i18n="[^"]*;/.test(u.how))).to.equal(true);
    expect(all.some((u) => u.how.startsWith('this._('))).to.equal(true);
    expect(all.some((u) => u.how.startsWith('node._(NS +'))).to.equal(true);
    expect(all.some((u) => u.how.startsWith('t('))).to.equal(true);
    expect(all.some((u) => u.prefixOnly)).to.equal(true);
  });

  it('every .html under nodes/ belongs to a node set', () => {
    expect(SCANS.filter((s) => !s.ns).map((s) => path.relative(ROOT, s.file))).to.deep.equal([]);
  });

  for (const lang of LANGS) {
    it(`every key resolves in the ${lang} catalogue of its namespace`, () => {
      const missing: string[] = [];
      for (const { ns, scan: s } of SCANS) {
        for (const use of s.uses) {
          const colon = use.key.indexOf(':');
          const keyNs = colon >= 0 ? use.key.slice(0, colon) : (ns as string);
          const key = colon >= 0 ? use.key.slice(colon + 1) : use.key;
          const c = catalogue(keyNs, lang);
          const where = `${use.file}:${use.line} ${use.how}`;
          if (!c) missing.push(`${where}: no catalogue for namespace ${keyNs}`);
          else if (use.prefixOnly) {
            const group = lookup(c, key.replace(/\.$/, ''));
            if (!group || typeof group !== 'object') missing.push(`${where}: no group ${key} in ${keyNs}`);
          } else if (!resolves(c, key)) missing.push(`${where}: ${key} not in ${keyNs}`);
        }
      }
      expect(missing, missing.join('\n')).to.deep.equal([]);
    });
  }

  it('uses no data-i18n-* attribute (Node-RED reads only data-i18n="[attr]key")', () => {
    const stray = SCANS.flatMap((s) => s.scan.strayAttributes);
    expect(stray, stray.join('\n')).to.deep.equal([]);
  });

  it('computes keys at run time only where listed here', () => {
    // keys a table or the runtime hands over (plc-bridge's bit labels name another node's catalogue key)
    const unchecked = SCANS.flatMap((s) => s.scan.unchecked).map((u) => u.replace(/:\d+ /, ' '));
    expect(unchecked).to.deep.equal(['nodes/plc-bridge/plc-bridge.html RED._(label.i18n)']);
  });
});
