/**
 * Message paths (`payload.cellVoltages[*]`, `payload.modules[*].voltage`, `payload["cell 1"]`) compiled once
 * into key arrays, so that evaluating a message walks plain property lookups and allocates nothing.
 */

/** A step of a path: a property name or an array index. */
export type PathKey = string | number;

/** One run of keys without a wildcard, then optionally a wildcard and the rest of the path after it. */
export interface CompiledPath {
  source: string;
  /** keys before the first `[*]` (or the whole path) */
  keys: PathKey[];
  /** the part after the first `[*]`, applied to every element; null when the path has no wildcard */
  each: CompiledPath | null;
  /** number of `[*]` in the whole path */
  wildcards: number;
  /** walks `keys` from a root: undefined when a step is missing or not an object */
  get: (root: unknown) => unknown;
}

export type PathResult = { ok: true; path: CompiledPath } | { ok: false; error: string };

const IDENT = /^[A-Za-z_$][\w$-]*/;

/** Parses `payload.a[0].b[*]["c d"]`; a leading `msg.` is allowed and dropped. */
export function compilePath(source: string): PathResult {
  const text = source.trim().replace(/^msg\./, '');
  if (text === '') return { ok: false, error: 'empty path' };
  const parts: Array<PathKey | null> = [];
  let i = 0;
  let expectKey = true;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '.') {
      if (expectKey) return { ok: false, error: `unexpected "." at ${i} in "${source}"` };
      expectKey = true;
      i++;
      continue;
    }
    if (ch === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return { ok: false, error: `missing "]" in "${source}"` };
      const inner = text.slice(i + 1, close).trim();
      if (inner === '*') parts.push(null);
      else if (/^\d+$/.test(inner)) parts.push(Number(inner));
      else if (/^(['"]).*\1$/.test(inner)) parts.push(inner.slice(1, -1));
      else return { ok: false, error: `bad index "[${inner}]" in "${source}"` };
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (!expectKey) return { ok: false, error: `unexpected "${ch}" at ${i} in "${source}"` };
    const m = IDENT.exec(text.slice(i));
    if (!m) return { ok: false, error: `unexpected "${ch}" at ${i} in "${source}"` };
    parts.push(m[0]);
    i += m[0].length;
    expectKey = false;
  }
  if (expectKey) return { ok: false, error: `path "${source}" ends with "."` };
  return { ok: true, path: build(source, parts) };
}

function build(source: string, parts: Array<PathKey | null>): CompiledPath {
  const star = parts.indexOf(null);
  const wildcards = parts.filter((p) => p === null).length;
  const keys = (star < 0 ? parts : parts.slice(0, star)) as PathKey[];
  return { source, keys, each: star < 0 ? null : build(source, parts.slice(star + 1)), wildcards, get: accessor(keys) };
}

/**
 * A getter with the keys as constants (`o["payload"]["voltage"]`), so V8 gives each rule's path its own inline
 * caches instead of one generic keyed lookup shared by all paths. The keys come from the parser above and are
 * embedded through JSON.stringify, so no text from a rule reaches the function body unquoted.
 */
function accessor(keys: PathKey[]): (root: unknown) => unknown {
  if (keys.length === 0) return (root) => root;
  let body = 'let c = o;\n';
  for (const k of keys) {
    body += 'if (c === null || typeof c !== "object") return undefined;\n';
    body += `c = c[${JSON.stringify(k)}];\n`;
  }
  body += 'return c;';
  try {
    return new Function('o', body) as (root: unknown) => unknown;
  } catch {
    // a runtime that forbids code generation (--disallow-code-generation-from-strings) gets the plain walk
    return (root) => walk(root, keys);
  }
}

/** Walks keys from root; undefined when any step is missing or not an object. */
export function walk(root: unknown, keys: PathKey[]): unknown {
  let cur = root;
  for (let i = 0; i < keys.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[keys[i]];
  }
  return cur;
}

/**
 * Topic filter: exact, or a glob where `*` and MQTT `+` match one level (no `/`), `#` and `**` any number of
 * levels, `?` one character. Returns null for "any topic".
 */
export function compileTopicFilter(filter: string | undefined): ((topic: string) => boolean) | null {
  if (filter === undefined || filter.trim() === '') return null;
  const f = filter.trim();
  if (!/[*?#+]/.test(f)) return (topic) => topic === f;
  let re = '';
  for (let i = 0; i < f.length; i++) {
    const ch = f[i];
    if (ch === '*' && f[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '#') re += '.*';
    else if (ch === '*' || ch === '+') re += '[^/]*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|()[\]{}]/g, '\\$&');
  }
  const rx = new RegExp('^' + re + '$');
  return (topic) => rx.test(topic);
}
