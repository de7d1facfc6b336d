/**
 * The help of each device node, in every language, against its schema (nodes/<device>/schema.ts). The help is
 * hand-written prose, but the keys its output table lists must be exactly the schema's.
 *
 * What counts, precisely:
 * - the help of a node in a language: the `<script type="text/html" data-help-name="<node>">` of
 *   `nodes/<folder>/<node>.html`, or `nodes/<folder>/locales/<lang>/<node>.html` when that file exists (it wins,
 *   as in Node-RED);
 * - its output table: from the heading `<h3>Outputs</h3>` (zh-CN `<h3>输出</h3>`) to the next `<h3>`;
 * - the payload property: the `<dd>` after the first `<dt>` of that table whose text starts with `payload`;
 * - a key named there: a `<code>` whose whole text is a camelCase name (`[a-z][A-Za-z0-9]*`) and is neither a value
 *   the schema enumerates for some key (`modbus` of `moduleSource`) nor a message quality (`stale`);
 * - fields named there: a `<code>` whose whole text is `{ a, b }` or `[{ a, b }]` (camelCase names and commas only)
 *   lists the fields of the key named last before it, which must be an object or an array of objects in the schema.
 * Every key of the schema must be named, every field of an object or array of objects listed, and nothing else named.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { enumeratedValues, LANGUAGES, type DeviceSchema, type Language } from '../../lib/schema';
import { BACS_SCHEMA } from '../../nodes/bacs/schema';
import { JK_SCHEMA } from '../../nodes/jk-bms/schema';
import { JUPITER_SCHEMA } from '../../nodes/jupiter-hvdc/schema';

const root = path.resolve(__dirname, '..', '..', '..');

const HELPS: ReadonlyArray<{ folder: string; node: string; schema: DeviceSchema }> = [
  { folder: 'jk-bms', node: 'jk-bms', schema: JK_SCHEMA },
  { folder: 'bacs', node: 'bacs', schema: BACS_SCHEMA },
  { folder: 'jupiter-hvdc', node: 'jupiter-hvdc', schema: JUPITER_SCHEMA },
];

const OUTPUTS_HEADING: { readonly [lang in Language]: string } = { 'en-US': 'Outputs', 'zh-CN': '输出' };
/** lib/wire/envelope.ts Quality: a help says which quality a message has, in the payload's own terms */
const QUALITIES = new Set(['good', 'stale', 'comm_error', 'bad_data']);
const KEY = /^[a-z][A-Za-z0-9]*$/;
const FIELD_LIST = /^\[?\{\s*([a-z][A-Za-z0-9]*(?:\s*,\s*[a-z][A-Za-z0-9]*)*)\s*\}\]?$/;

function helpOf(folder: string, node: string, lang: Language): string {
  const localized = path.join(root, 'nodes', folder, 'locales', lang, `${node}.html`);
  if (fs.existsSync(localized)) return fs.readFileSync(localized, 'utf8');
  const html = fs.readFileSync(path.join(root, 'nodes', folder, `${node}.html`), 'utf8');
  const m = new RegExp(`<script type="text/html" data-help-name="${node}">([\\s\\S]*?)</script>`).exec(html);
  if (!m) throw new Error(`no ${lang} help for ${node}`);
  return m[1];
}

function decode(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

export interface NamedKeys {
  keys: Set<string>;
  /** key -> the fields listed for it */
  fields: Map<string, Set<string>>;
  /** field lists with no key before them */
  orphanLists: string[];
}

/** The keys and fields a help's payload property names (see the header for the rules). */
export function namedKeys(help: string, lang: Language, schema: DeviceSchema): NamedKeys {
  const start = help.indexOf(`<h3>${OUTPUTS_HEADING[lang]}</h3>`);
  if (start < 0) throw new Error(`no <h3>${OUTPUTS_HEADING[lang]}</h3>`);
  const next = help.indexOf('<h3>', start + 4);
  const outputs = help.slice(start, next < 0 ? undefined : next);
  const payload = /<dt[^>]*>\s*payload\b[\s\S]*?<\/dt>\s*<dd>([\s\S]*?)<\/dd>/.exec(outputs);
  if (!payload) throw new Error('no payload property in the output table');
  const values = enumeratedValues(schema);
  const out: NamedKeys = { keys: new Set(), fields: new Map(), orphanLists: [] };
  let last: string | undefined;
  for (const m of payload[1].matchAll(/<code>([\s\S]*?)<\/code>/g)) {
    const code = decode(m[1]);
    const list = FIELD_LIST.exec(code);
    if (list) {
      if (last === undefined) out.orphanLists.push(code);
      else {
        const fields = out.fields.get(last) ?? new Set<string>();
        for (const f of list[1].split(',')) fields.add(f.trim());
        out.fields.set(last, fields);
      }
      continue;
    }
    if (!KEY.test(code) || values.has(code) || QUALITIES.has(code)) continue;
    out.keys.add(code);
    last = code;
  }
  return out;
}

describe('device help against the schema (output tables, every language)', () => {
  for (const { folder, node, schema } of HELPS) {
    for (const lang of LANGUAGES) {
      describe(`${node} ${lang}`, () => {
        const named = namedKeys(helpOf(folder, node, lang), lang, schema);
        const schemaKeys = Object.keys(schema.keys);

        it('names every key of the schema in its payload property', () => {
          expect(schemaKeys.filter((k) => !named.keys.has(k)), 'keys the help leaves out').to.deep.equal([]);
        });

        it('names no key the schema lacks', () => {
          expect([...named.keys].filter((k) => !schemaKeys.includes(k)), 'keys the schema lacks').to.deep.equal([]);
        });

        it('lists the fields of every object and array of objects, and no others', () => {
          expect(named.orphanLists).to.deep.equal([]);
          for (const [key, entry] of Object.entries(schema.keys)) {
            if (entry.type !== 'object[]' && entry.type !== 'object') continue;
            expect([...(named.fields.get(key) ?? [])].sort(), `fields of ${key}`).to.deep.equal(Object.keys(entry.fields ?? {}).sort());
          }
          for (const key of named.fields.keys()) expect(['object[]', 'object'], `${key} has a field list`).to.include(schema.keys[key]?.type);
        });
      });
    }
  }

  describe('what counts as naming a key', () => {
    const schema: DeviceSchema = {
      node: 'x',
      keys: {
        source: { type: 'string', unit: '', quantity: 'text', category: 'diagnostic', values: ['modbus'], label: { 'en-US': 's', 'zh-CN': 's' }, description: { 'en-US': 's', 'zh-CN': 's' } },
      },
      registerOrder: [],
    };
    const help = (dd: string): string => `<h3>Inputs</h3><dl><dt>payload</dt><dd><code>input</code></dd></dl><h3>Outputs</h3><dl>
      <dt>topic <span>string</span></dt><dd><code>topicKey</code></dd><dt>payload <span class="property-type">object</span></dt><dd>${dd}</dd></dl><h3>Details</h3><code>later</code>`;

    it('reads only the payload property of the output table', () => {
      expect([...namedKeys(help('<code>voltage</code> (V)'), 'en-US', schema).keys]).to.deep.equal(['voltage']);
    });

    it('skips enumerated values, qualities, examples and non-names', () => {
      const named = namedKeys(help('<code>source</code> (<code>modbus</code>), <code>stale</code>, <code>comm_error</code>, <code>verified: false</code>, <code>{no.: closed}</code>, <code>ac_breaker_open</code>'), 'en-US', schema);
      expect([...named.keys]).to.deep.equal(['source']);
      expect(named.fields.size).to.equal(0);
    });

    it('takes a braced list as the fields of the key before it', () => {
      const named = namedKeys(help('<code>strings</code> <code>[{ index, current }]</code>, <code>rectifiers</code> (<code>{index, ok}</code>)'), 'en-US', schema);
      expect([...(named.fields.get('strings') ?? [])]).to.deep.equal(['index', 'current']);
      expect([...(named.fields.get('rectifiers') ?? [])]).to.deep.equal(['index', 'ok']);
    });
  });
});
