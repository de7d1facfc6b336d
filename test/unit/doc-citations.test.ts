/**
 * Citations of the notes in docs/ must lead somewhere. Comments, editor help, tests, benchmarks, examples and the
 * README cite them as:
 *   docs/<file>.md                     the file
 *   docs/<file>.md §4.3, §6.5          numbered headings of that file (`### 4.3 …`); ranges as §4.1–4.2
 *   docs/<file>.md A3, B2 #1-#6        lettered headings (`### A3 …`), and numbered rows of the table under B2
 *   … §3.5 …                           a bare § (outside docs/) refers to the last docs file cited before it in
 *                                      the same source file, unless it follows a manual, an RFC or an OPC UA part
 * The test fails when a cited file or section does not exist, when a bare § has no docs file before it, and when
 * a citation of the old, unpublished reference folder or design note is left over.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DOCS = path.join(ROOT, 'docs');
const SELF = 'doc-citations.test.ts';

/** Where citations live: source, tests, benchmarks, examples, the notes themselves and the README. */
const SCANNED_DIRS = ['nodes', 'lib', 'bin', 'bench', 'test', 'examples', 'scripts', 'docs'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures', 'screenshots', '.demo']);
const TEXT_FILE = /\.(ts|js|cjs|mjs|html|json|md|sh)$/;

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full);
      } else if (TEXT_FILE.test(entry.name) && entry.name !== SELF) out.push(full);
    }
  };
  for (const dir of SCANNED_DIRS) walk(path.join(ROOT, dir));
  out.push(path.join(ROOT, 'README.md'));
  return out;
}

interface Section {
  id: string;
  /** the lines under the heading, up to the next heading of the same or a higher level */
  body: string[];
}

/** Headings of one notes file by id: `§4.3` for `### 4.3 Title` or `## 4. Title`, `A3` for `### A3 Title`. */
function sectionsOf(file: string): Map<string, Section> {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const headings: Array<{ line: number; level: number; id: string }> = [];
  lines.forEach((line, i) => {
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!h) return;
    const numbered = /^(\d+(?:\.\d+)*)\.?(?=\s|$)/.exec(h[2]);
    const lettered = /^([A-Z]\d+)\.?(?=\s|$)/.exec(h[2]);
    const id = numbered ? `§${numbered[1]}` : lettered ? lettered[1] : '';
    headings.push({ line: i, level: h[1].length, id });
  });
  const out = new Map<string, Section>();
  headings.forEach((h, k) => {
    if (!h.id) return;
    const next = headings.slice(k + 1).find((o) => o.level <= h.level);
    out.set(h.id, { id: h.id, body: lines.slice(h.line + 1, next ? next.line : lines.length) });
  });
  return out;
}

const notes = new Map<string, Map<string, Section>>();
function notesFile(name: string): Map<string, Section> | undefined {
  if (!notes.has(name)) {
    const file = path.join(DOCS, name);
    if (!fs.existsSync(file)) return undefined;
    notes.set(name, sectionsOf(file));
  }
  return notes.get(name);
}

/** Why a reference into a notes file fails, or undefined when it resolves. */
function checkRef(file: string, ref: { id: string; rows?: number[] }): string | undefined {
  const sections = notesFile(file);
  if (!sections) return `docs/${file} does not exist`;
  const section = sections.get(ref.id);
  if (!section) return `docs/${file} has no heading ${ref.id}`;
  for (const n of ref.rows ?? []) {
    if (!section.body.some((l) => new RegExp(`^\\|\\s*${n}\\s*\\|`).test(l))) return `docs/${file} ${ref.id} has no row #${n}`;
  }
  return undefined;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** `docs/<file>.md`, not the tail of another path (`bms-docs/…`, `repo/docs/…`) */
const CITATION = /(?<![\w/.-])docs\/([\w.-]+\.md)`?/g;
/** one reference after a file name, the first one after white space, the others after `,` `/` or `and` */
const FIRST_REF = /\s+/y;
const NEXT_REF = /\s*(?:,|\/|\band\b)\s*/y;
const REF = /§\s?(\d+(?:\.\d+)*)(?:\s*[–-]\s*(\d+(?:\.\d+)*))?|([A-Z]\d+)((?:\s*#\d+(?:\s*[-–,]\s*#\d+)*)?)(?![\w.])/y;

interface Found {
  file: string;
  text: string;
  /** character ranges of the citations, so the bare-§ check knows which § are accounted for */
  spans: Array<[number, number]>;
  /** notes file cited and where, in order */
  cited: Array<{ at: number; file: string }>;
  problems: string[];
}

/** `§4.1–4.2` ends at 4.2; `§4.1–3` is read as 4.1 to 4.3 */
function rangeEnd(start: string, end: string): string {
  if (end.includes('.') || !start.includes('.')) return end;
  return `${start.split('.').slice(0, -1).join('.')}.${end}`;
}

function rowsOf(hashes: string): number[] {
  const rows: number[] = [];
  const re = /#(\d+)(?:\s*[-–]\s*#(\d+))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(hashes))) {
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    for (let n = from; n <= to; n++) rows.push(n);
  }
  return rows;
}

/** Parses every `docs/<file>.md …` citation of one source file and checks it. */
function explicitCitations(file: string): Found {
  // a citation may wrap inside a comment: blank out the `*` or `//` that starts each continuation line, keeping
  // every character at its index so line numbers stay right
  const text = fs.readFileSync(file, 'utf8').replace(/\n[ \t]*(?:\*(?!\/)|\/\/)/g, (lead) => '\n' + ' '.repeat(lead.length - 1));
  const found: Found = { file: path.relative(ROOT, file), text, spans: [], cited: [], problems: [] };
  CITATION.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CITATION.exec(text))) {
    const target = m[1];
    const where = `${found.file}:${lineOf(text, m.index)}`;
    found.cited.push({ at: m.index, file: target });
    if (!notesFile(target)) {
      found.problems.push(`${where}: docs/${target} does not exist`);
      found.spans.push([m.index, CITATION.lastIndex]);
      continue;
    }
    let pos = CITATION.lastIndex;
    for (let first = true; ; first = false) {
      const sep = first ? FIRST_REF : NEXT_REF;
      sep.lastIndex = pos;
      if (!sep.exec(text)) break;
      REF.lastIndex = sep.lastIndex;
      const r = REF.exec(text);
      if (!r) break;
      const refs: Array<{ id: string; rows?: number[] }> = [];
      if (r[1]) {
        refs.push({ id: `§${r[1]}` });
        if (r[2]) refs.push({ id: `§${rangeEnd(r[1], r[2])}` });
      } else refs.push({ id: r[3], rows: rowsOf(r[4]) });
      for (const ref of refs) {
        const why = checkRef(target, ref);
        if (why) found.problems.push(`${where}: ${why}`);
      }
      pos = REF.lastIndex;
    }
    found.spans.push([m.index, pos]);
  }
  return found;
}

/** A § that cites someone else's numbering: a manual, an RFC, an OPC UA part, a standard. */
const EXTERNAL = /(RFC\s*\d+|manual|手册|Part\s*\d+|ISA-18\.2|standard)\s*[(（]?\s*$/i;

describe('documentation citations (docs/)', () => {
  let scanned: Found[] = [];
  before(() => {
    scanned = sourceFiles().map(explicitCitations);
  });

  it('the notes exist, number their sections and are all listed in docs/README.md', () => {
    const index = fs.readFileSync(path.join(DOCS, 'README.md'), 'utf8');
    const names = fs.readdirSync(DOCS).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(names.length).to.be.greaterThan(0);
    for (const name of names) {
      expect(index, `docs/README.md lists ${name}`).to.contain(`](${name})`);
      expect(notesFile(name)!.size, `${name} has numbered headings`).to.be.greaterThan(0);
    }
  });

  it('finds the citations it checks', () => {
    // guards the scanner itself: if it stopped seeing citations, every other check here would pass vacuously
    const count = scanned.reduce((n, f) => n + f.spans.length, 0);
    expect(count).to.be.greaterThan(50);
  });

  it('every docs/<file>.md citation names an existing file and an existing section', () => {
    expect(scanned.flatMap((f) => f.problems)).to.deep.equal([]);
  });

  it('every bare § in code, help and tests names a section of the docs file cited before it', () => {
    const problems: string[] = [];
    for (const f of scanned) {
      if (f.file.startsWith('docs' + path.sep)) continue; // inside the notes a bare § is the note's own section
      const re = /§\s?(\d+(?:\.\d+)*)/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(f.text))) {
        const at = m.index;
        if (f.spans.some(([a, b]) => at >= a && at < b)) continue;
        const before = f.text.slice(Math.max(0, at - 30), at);
        if (EXTERNAL.test(before)) continue;
        const where = `${f.file}:${lineOf(f.text, at)}`;
        const previous = f.cited.filter((c) => c.at < at).pop();
        if (!previous) {
          problems.push(`${where}: bare ${m[0]} with no docs/<file>.md cited before it`);
          continue;
        }
        const why = checkRef(previous.file, { id: `§${m[1]}` });
        if (why) problems.push(`${where}: ${why}`);
      }
      const bareRows = /\bB\d+ #\d+/g;
      while ((m = bareRows.exec(f.text))) {
        const at = m.index;
        if (!f.spans.some(([a, b]) => at >= a && at < b)) problems.push(`${f.file}:${lineOf(f.text, at)}: bare "${m[0]}": cite docs/node-red-notes.md`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('no citation of the unpublished reference folder or design note is left', () => {
    const legacy: Array<[RegExp, string]> = [
      [/\breference\s*§/g, 'reference §'],
      [/\breference\s+[A-C]\d+/g, 'reference A…/B…'],
      [/\breference\/[\w.-]+\.(?:md|json)/g, 'reference/<file>'],
      [/\b(?:bacs-modbus-snmp|hvdc-snmp-and-contacts|alarms-and-limits|node-red-conventions|jk-peer-coverage)\b/g, 'an old reference file name'],
      [/(?<!docs\/)\bjk-bms-protocols\.md/g, 'jk-bms-protocols.md without docs/'],
      [/\bDESIGN(?:\.md|\s+principle|\s*"|:)/g, 'DESIGN'],
    ];
    const problems: string[] = [];
    for (const f of scanned) {
      if (f.file.startsWith('docs' + path.sep)) continue; // the notes link their siblings by bare file name
      for (const [re, what] of legacy) {
        re.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = re.exec(f.text))) problems.push(`${f.file}:${lineOf(f.text, m.index)}: ${what} ("${m[0]}")`);
      }
    }
    expect(problems).to.deep.equal([]);
  });
});
