/**
 * The help a user actually sees in the editor's info sidebar, in an en-US and a zh-CN browser: Node-RED takes
 * the first help block it was served for a type, so this checks that each node's en-US help (in the .html or in
 * locales/en-US) does not shadow its zh-CN help, and that each browser shows the help written for its language
 * (what the help says is checked offline in test/unit/package-conventions.test.ts).
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import { chromiumAvailable, EditorSession, startEditor } from './harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface TypeInfo {
  type: string;
  /** the editor .html, relative to the package root */
  html: string;
}

/** Every node type the package registers, with its editor file. */
function ourTypes(): TypeInfo[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  const out: TypeInfo[] = [];
  for (const distPath of Object.values(pkg['node-red'].nodes)) {
    const rel = distPath.replace(/^dist\//, '').replace(/\.js$/, '.html');
    const html = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    for (const m of html.matchAll(/RED\.nodes\.registerType\(\s*['"]([\w-]+)['"]/g)) out.push({ type: m[1], html: rel });
  }
  return out;
}

/** The help blocks written for a type in one language: en-US in the editor .html or locales/en-US, zh-CN in locales/zh-CN. */
function sourceHelp(t: TypeInfo, lang: 'en-US' | 'zh-CN'): string[] {
  const dir = path.join(ROOT, path.dirname(t.html));
  const localized = path.join(dir, 'locales', lang, path.basename(t.html));
  const files = [...(lang === 'en-US' ? [path.join(ROOT, t.html)] : []), localized].filter((f) => fs.existsSync(f));
  const re = new RegExp(`<script[^>]*\\sdata-help-name=(["'])${t.type}\\1[^>]*>([\\s\\S]*?)</script>`, 'g');
  return files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(re)].map((m) => m[2]));
}

async function shownHelp(page: Page, types: string[]): Promise<Record<string, string>> {
  return page.evaluate((list) => {
    const red = (window as unknown as { RED: { nodes: { getNodeHelp(type: string): string | undefined } } }).RED;
    const out: Record<string, string> = {};
    for (const type of list) out[type] = red.nodes.getNodeHelp(type) ?? '';
    return out;
  }, types);
}

describe('node help in the editor (real Node-RED + headless Chromium, en-US and zh-CN)', function () {
  this.timeout(180_000);
  let editor: EditorSession;
  let zhPage: Page | undefined;
  const types = ourTypes();

  before(async function () {
    if (!chromiumAvailable()) throw new Error('Debian chromium is not installed (.ci/run installs it)');
    editor = await startEditor();
    const browser = editor.page.context().browser();
    if (!browser) throw new Error('the harness page has no browser');
    zhPage = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1600, height: 1000 } });
    await zhPage.goto(editor.baseUrl + '/');
    await zhPage.waitForSelector('.red-ui-palette-node', { timeout: 60_000 });
  });
  after(async () => {
    await zhPage?.close().catch(() => undefined);
    await editor?.stop();
  });

  it('finds every node type of the package', () => {
    expect(types.map((t) => t.type)).to.include.members(['alarm-rules', 'jk-bms', 'bacs', 'jupiter-hvdc', 'rs485-bus', 'modbus-endpoint', 'snmp-endpoint', 'dcpower-mqtt-broker']);
  });

  for (const lang of ['en-US', 'zh-CN'] as const) {
    it(`a browser in ${lang} shows each node's own ${lang} help, not the other language's`, async () => {
      const page = lang === 'zh-CN' ? zhPage : editor.page;
      if (!page) throw new Error('no page');
      const shown = await shownHelp(
        page,
        types.map((t) => t.type),
      );
      for (const t of types) {
        const written = sourceHelp(t, lang);
        expect(written.length, `${t.type}: ${lang} help written once`).to.equal(1);
        expect(shown[t.type].trim(), `${t.type}: the ${lang} help is what the editor shows`).to.equal(written[0].trim());
      }
    });
  }
});
