/**
 * Every node of the package as a user of each shipped language meets it in the editor, with all examples loaded
 * (no simulators: what the examples do at run time is examples.test.ts's job): each node type's edit dialog opens
 * (configuration nodes included) with every text translated, and the help the sidebar shows is the help written
 * for that language. Node-RED keeps the first help block it is served for a type, so an en-US block in the
 * editor .html must not shadow the zh-CN one. What the help says is checked offline in
 * test/unit/package-conventions.test.ts. The en-US run keeps a picture of each dialog: in
 * docs/screenshots/<type>.png when DCPOWER_SCREENSHOTS=1 (the README shows them), else in test-results/; the
 * zh-CN run keeps its pictures in test-results/zh-CN/.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { combineExamples, exampleFiles } from '../../bin/demo';
import { lockDemoPorts } from '../helpers/demo-ports';
import { EditorSession, startEditor, waitForDialogReady } from './harness';

const MODULE = '@dcpower/node-red-nodes';
const ROOT = path.resolve(__dirname, '..', '..', '..');
const SHOTS = process.env.DCPOWER_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : path.join(ROOT, 'test-results');
/** the zh-CN pictures are for looking at (clipped or wrapped Chinese texts), not for the README */
const SHOTS_ZH = path.join(ROOT, 'test-results', 'zh-CN');

interface Language {
  locale: 'en-US' | 'zh-CN';
  /** a dialog in this language shows at least one character matching this */
  script: RegExp;
}

const LANGUAGES: readonly Language[] = [
  { locale: 'en-US', script: /[A-Za-z]/ },
  { locale: 'zh-CN', script: /[\u4e00-\u9fff]/ },
];

/** The editor .html of each node type the package registers, relative to the package root. */
function editorFiles(): Map<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  const out = new Map<string, string>();
  for (const distPath of Object.values(pkg['node-red'].nodes)) {
    const rel = distPath.replace(/^dist\//, '').replace(/\.js$/, '.html');
    const html = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    for (const m of html.matchAll(/RED\.nodes\.registerType\(\s*['"]([\w-]+)['"]/g)) out.set(m[1], rel);
  }
  return out;
}

/** The help blocks written for a type in one language: en-US in the editor .html or locales/en-US, zh-CN in locales/zh-CN. */
function writtenHelp(type: string, html: string, locale: Language['locale']): string[] {
  const localized = path.join(ROOT, path.dirname(html), 'locales', locale, path.basename(html));
  const files = [...(locale === 'en-US' ? [path.join(ROOT, html)] : []), localized].filter((f) => fs.existsSync(f));
  const re = new RegExp(`<script[^>]*\\sdata-help-name=(["'])${type}\\1[^>]*>([\\s\\S]*?)</script>`, 'g');
  return files.flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(re)].map((m) => m[2]));
}

/** the node a dialog picture shows where the first one of its type is not the most telling */
const PICTURED: Readonly<Record<string, string>> = { 'dcpower-uplink': 'uplink-ex-sparkplug' };

/** a part of a dialog worth its own picture: `<type>-<name>.png` */
const DETAILS: Readonly<Record<string, { name: string; selector: string }>> = { 'dcpower-plc-bridge': { name: 'bits', selector: '.plc-bridge-bits' } };

/** what i18n prints when a key has no text: the key itself, `jk-bms.label.bus` */
const UNTRANSLATED_KEY = /^(?!msg\.)[a-z][\w-]*(\.[A-Za-z][\w-]*){1,5}$/;

interface DialogText {
  texts: string[];
  placeholders: string[];
}

describe('dialogs and help of every node in en-US and zh-CN', function () {
  this.timeout(600_000);

  for (const language of LANGUAGES) {
    describe(language.locale, () => {
      let editor: EditorSession;
      const pageErrors: string[] = [];
      let types: Array<{ type: string; config: boolean; id: string }> = [];

      let releasePorts: (() => void) | undefined;

      before(async () => {
        // the examples' PLC bridge and trap receiver listen on the demo's fixed ports
        releasePorts = await lockDemoPorts();
        editor = await startEditor({ flows: combineExamples(exampleFiles()), locale: language.locale });
        editor.page.on('pageerror', (err) => pageErrors.push(err.message));
        types = await editor.page.evaluate(({ module, pictured }) => {
          interface EditorNode {
            id: string;
            type: string;
          }
          const red = (
            window as unknown as {
              RED: {
                nodes: {
                  registry: { getNodeList(): Array<{ module: string; types: string[] }>; getNodeType(t: string): { category: string } | undefined };
                  eachNode(cb: (n: EditorNode) => void): void;
                  eachConfig(cb: (n: EditorNode) => void): void;
                };
              };
            }
          ).RED;
          const ours = red.nodes.registry
            .getNodeList()
            .filter((set) => set.module === module)
            .flatMap((set) => set.types);
          const first = new Map<string, EditorNode>();
          red.nodes.eachNode((n) => void (first.has(n.type) || first.set(n.type, n)));
          red.nodes.eachConfig((n) => void (first.has(n.type) || first.set(n.type, n)));
          return ours.map((type) => ({ type, config: red.nodes.registry.getNodeType(type)?.category === 'config', id: pictured[type] ?? first.get(type)?.id ?? '' }));
        }, { module: MODULE, pictured: PICTURED });
      });
      after(async () => {
        await editor?.stop();
        releasePorts?.();
      });

      it('knows every node type of the package, and each is used in an example', () => {
        expect(types.length, 'node types registered by the package').to.be.at.least(10);
        const unused = types.filter((t) => t.id === '').map((t) => t.type);
        expect(unused, 'types with no node in any example').to.deep.equal([]);
      });

      it('opens every edit dialog with every text translated', async () => {
        const page = editor.page;
        for (const { type, config, id } of types) {
          await page.evaluate(
            ({ type, config, id }) => {
              const red = (
                window as unknown as {
                  RED: { nodes: { node(id: string): unknown }; editor: { edit(n: unknown): void; editConfig(name: string, type: string, id: string): void } };
                }
              ).RED;
              if (config) red.editor.editConfig('', type, id);
              else red.editor.edit(red.nodes.node(id));
            },
            { type, config, id },
          );
          const ok = config ? '#node-config-dialog-ok' : '#node-dialog-ok';
          const cancel = config ? '#node-config-dialog-cancel' : '#node-dialog-cancel';
          await page.waitForSelector(ok, { state: 'visible' });
          const tray = page.locator('.red-ui-tray').last();
          // oneditprepare of some dialogs fetches (presets, serial ports, the register map): let them finish
          await waitForDialogReady(page);
          const shown = await tray.evaluate((el): DialogText => {
            const texts: string[] = [];
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
              const parent = n.parentElement;
              // [data-literal]: data names shown as they are (the PLC bridge map's keys such as statusFlags.running)
              if (!parent || parent.closest('script,style,textarea,.red-ui-editableList-item-content pre,[data-literal]')) continue;
              if (parent.offsetParent === null) continue; // hidden rows (other modes of the dialog)
              const text = (n.textContent ?? '').trim();
              if (text) texts.push(text);
            }
            const placeholders = Array.from(el.querySelectorAll('[placeholder]'))
              .map((e) => e.getAttribute('placeholder') ?? '')
              .filter((p) => p.length > 0);
            return { texts, placeholders };
          });
          // each field's label on one line, within its column (a wrapped label pushes its field down; an overflowing one
          // runs into it); the sentence beside a checkbox may wrap
          const badLabels = await tray.evaluate((el) => {
            const out: string[] = [];
            el.querySelectorAll('.form-row > label:first-child').forEach((label) => {
              if ((label as HTMLElement).offsetParent === null) return;
              const rects: DOMRect[] = [];
              const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
              for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                if (!(n.textContent ?? '').trim()) continue;
                const range = document.createRange();
                range.selectNodeContents(n);
                rects.push(...Array.from(range.getClientRects()).filter((r) => r.width > 0));
              }
              if (rects.length === 0) return;
              const tops = rects.map((r) => r.top).sort((a, b) => a - b);
              const wrapped = tops.some((top, i) => i > 0 && top - tops[i - 1] > 6);
              const overflow = Math.max(...rects.map((r) => r.right)) - label.getBoundingClientRect().right;
              const text = (label.textContent ?? '').trim();
              if (wrapped) out.push(`"${text}" wraps`);
              else if (overflow > 1) out.push(`"${text}" runs ${Math.round(overflow)} px past its column`);
            });
            return out;
          });
          expect(badLabels, `${type} dialog labels in ${language.locale}`).to.deep.equal([]);
          const untranslated = [...shown.texts, ...shown.placeholders].filter((t) => UNTRANSLATED_KEY.test(t));
          expect(untranslated, `${type} dialog shows i18n keys instead of text`).to.deep.equal([]);
          expect(shown.texts.join(' '), `${type} dialog text in ${language.locale}`).to.match(language.script);
          // some lists open scrolled to their end after oneditprepare adds the rows: show them from the top
          await tray.evaluate((el) => el.querySelectorAll('.red-ui-editableList-container').forEach((list) => (list.scrollTop = 0)));
          if (language.locale === 'zh-CN') {
            fs.mkdirSync(SHOTS_ZH, { recursive: true });
            await tray.screenshot({ path: path.join(SHOTS_ZH, `${type}.png`) });
          }
          if (language.locale === 'en-US') {
            fs.mkdirSync(SHOTS, { recursive: true });
            await tray.screenshot({ path: path.join(SHOTS, `${type}.png`) });
            const detail = DETAILS[type];
            if (detail) {
              const part = tray.locator(detail.selector);
              // whole: not clipped by the scrolling box that holds it, in a window tall enough for the dialog
              const viewport = page.viewportSize();
              await part.evaluate((el) => el.parentElement?.style.setProperty('max-height', 'none'));
              await page.setViewportSize({ width: viewport?.width ?? 1600, height: 4000 });
              await part.screenshot({ path: path.join(SHOTS, `${type}-${detail.name}.png`) });
              if (viewport) await page.setViewportSize(viewport);
            }
          }
          await page.click(cancel);
          await page.waitForSelector(ok, { state: 'detached' });
        }
        expect(pageErrors, 'errors in the editor page').to.deep.equal([]);
      });

      it('shows each node the help written for this language', async () => {
        const files = editorFiles();
        expect([...files.keys()].sort(), 'types in the editor files = types the editor registered').to.deep.equal(types.map((t) => t.type).sort());
        const shown = await editor.page.evaluate((list) => {
          const red = (window as unknown as { RED: { nodes: { getNodeHelp(type: string): string | undefined } } }).RED;
          return list.map((type) => red.nodes.getNodeHelp(type) ?? '');
        }, [...files.keys()]);
        [...files].forEach(([type, html], i) => {
          const written = writtenHelp(type, html, language.locale);
          expect(written.length, `${type}: ${language.locale} help written once`).to.equal(1);
          expect(shown[i].trim(), `${type}: the ${language.locale} help is what the editor shows`).to.equal(written[0].trim());
        });
      });

      it('keeps each help inside the sidebar: long code wraps instead of running past its edge', async () => {
        const page = editor.page;
        const overflowing: string[] = [];
        for (const type of editorFiles().keys()) {
          await page.evaluate((t) => (window as unknown as { RED: { sidebar: { help: { show(type: string): void } } } }).RED.sidebar.help.show(t), type);
          await page.waitForTimeout(100);
          const over = await page.evaluate(() => {
            const panel = Array.from(document.querySelectorAll('#red-ui-sidebar .red-ui-help')).find((p) => (p as HTMLElement).offsetParent !== null);
            if (!panel) return ['no help panel shown'];
            const right = panel.getBoundingClientRect().right;
            return Array.from(panel.querySelectorAll('*'))
              .filter((e) => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > right + 1)
              .map((e) => `${e.tagName.toLowerCase()} "${(e.textContent ?? '').trim().slice(0, 40)}"`);
          });
          overflowing.push(...over.map((o) => `${type}: ${o}`));
        }
        expect(overflowing, overflowing.join('\n')).to.deep.equal([]);
      });
    });
  }
});
