// report_test.js - report.html in headless Chromium (docs/testing.md,
// Browser test), driven by playwright-core.
//
// Usage: node report_test.js KIZUKI SRCDIR WORKDIR CHROMIUM
// (run.sh finds them and puts playwright-core on NODE_PATH).
//
// Three reports of examples/scenarios/mksystem/evtx are written by
// `kizuki investigate`: "interactive" (--interactive-graph), "svg" (the
// SVG fallback) and "ja" (--interactive-graph --lang ja). Each report.html
// is opened from file:// and must give:
//   - no console error, no page error, and no request but the file itself;
//   - the graph: in interactive mode cytoscape drew (#kz-cy data-ready,
//     a canvas, the SVG hidden) exactly the nodes of report.json's graph,
//     labels included (read from the cytoscape instance, or the embedded
//     JSON when the instance is not reachable); in svg mode the visible
//     svg.graph has one circle group per node, titled with its label;
//     every host of the example (its evtx/ directory names) is a node;
//   - tables: clicking a heading sorts (aria-sort, keys in order, the
//     second click reverses), typing in the filter box hides exactly the
//     rows without the text, clearing it shows all again.
// Screenshots: WORKDIR/browser-<mode>.png (top of the page) and
// WORKDIR/browser-<mode>-graph.png (the graph).
// Exit 0 = passed, 1 = a check failed, 2 = a setup error, 77 = the
// browser did not start (skipped).
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { pathToFileURL } = require('url');

const [kizuki, src, work, chromium] = process.argv.slice(2);
if (!kizuki || !src || !work || !chromium) {
  console.error('usage: report_test.js KIZUKI SRCDIR WORKDIR CHROMIUM');
  process.exit(2);
}
let pw;
try {
  pw = require('playwright-core');
} catch (e) {
  console.log('SKIP: playwright-core not found (scripts/browser-deps.sh)');
  process.exit(77);
}

const evtx = path.join(src, 'examples/scenarios/mksystem/evtx');
const modes = [
  { name: 'interactive', args: ['--interactive-graph'], interactive: true },
  { name: 'svg', args: ['--no-interactive-graph'], interactive: false },
  { name: 'ja', args: ['--lang', 'ja'], interactive: true }, /* the default */
];
const bad = [];
const fail = (where, msg) => bad.push(`${where}: ${msg}`);

fs.rmSync(path.join(work, 'reports'), { recursive: true, force: true });
fs.mkdirSync(path.join(work, 'reports'), { recursive: true });
for (const m of modes) {
  m.dir = path.join(work, 'reports', m.name);
  try {
    execFileSync(kizuki, ['investigate', ...m.args, '-o', m.dir, evtx],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 });
  } catch (e) {
    console.error(`kizuki investigate (${m.name}) failed: ${e.stderr || e}`);
    process.exit(2);
  }
}
// The example's hosts, as the graph names them (lower case).
const hosts = fs.readdirSync(evtx).map((h) => h.toLowerCase()).sort();

// Does this build embed the graph library? (graph.sh's marker)
const embedded = fs.readFileSync(path.join(modes[0].dir, 'report.html'),
  'utf8').includes('id="kz-cy"');

async function checkTables(page, where) {
  // The table with the most rows that has a column with two distinct keys.
  const info = await page.evaluate(() => {
    const key = (c) => (c ? (c.getAttribute('data-k') ?? c.textContent.trim()) : '');
    let best = null;
    document.querySelectorAll('table.kz').forEach((t, ti) => {
      const tb = t.tBodies[0];
      if (!tb || !t.tHead || tb.rows.length < 3) return;
      const cols = t.tHead.rows[0].cells.length;
      for (let i = 0; i < cols; i++) {
        const ks = new Set(Array.from(tb.rows, (r) => key(r.cells[i])));
        if (ks.size >= 2) {
          if (!best || tb.rows.length > best.rows) best = { ti, col: i, rows: tb.rows.length };
          break;
        }
      }
    });
    return best;
  });
  if (!info) { fail(where, 'no sortable table with 3 rows or more'); return; }
  const table = page.locator('table.kz').nth(info.ti);
  const th = table.locator('thead tr').first().locator('th').nth(info.col);
  const state = () => table.evaluate((t, i) => {
    const key = (c) => (c ? (c.getAttribute('data-k') ?? c.textContent.trim()) : '');
    return { keys: Array.from(t.tBodies[0].rows, (r) => key(r.cells[i])),
      rows: Array.from(t.tBodies[0].rows, (r) => r.textContent) };
  }, info.col);
  const cmp = (x, y) => {
    const nx = Number(x), ny = Number(y);
    if (x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny)) return nx - ny;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const ordered = (ks, dir) => ks.every((k, i) => i === 0 || dir * cmp(ks[i - 1], k) <= 0);
  await th.click();
  const asc = await state();
  if (await th.getAttribute('aria-sort') !== 'ascending') fail(where, 'first click: not aria-sort=ascending');
  if (!ordered(asc.keys, 1)) fail(where, `column ${info.col} not ascending after a click`);
  await th.click();
  const desc = await state();
  if (await th.getAttribute('aria-sort') !== 'descending') fail(where, 'second click: not aria-sort=descending');
  if (!ordered(desc.keys, -1)) fail(where, `column ${info.col} not descending after a second click`);
  if (desc.rows.join('\n') === asc.rows.join('\n')) fail(where, 'sorting did not change the row order');

  // Filter: a cell text found in some rows but not all.
  const rows = desc.rows.map((r) => r.toLowerCase());
  let term = null;
  for (const k of desc.keys.concat(hosts)) {
    const q = String(k).toLowerCase();
    if (q.length < 2) continue;
    const n = rows.filter((r) => r.includes(q)).length;
    if (n > 0 && n < rows.length) { term = q; break; }
  }
  const filter = table.locator('xpath=..').locator('input.kz-filter');
  const visible = () => table.evaluate((t) => Array.from(t.tBodies[0].rows).filter((r) => !r.hidden).length);
  if (term === null) { fail(where, 'no filter term found'); return; }
  await filter.fill(term);
  const want = rows.filter((r) => r.includes(term)).length;
  const got = await visible();
  if (got !== want) fail(where, `filter "${term}": ${got} rows shown, want ${want} of ${rows.length}`);
  await filter.fill('zz-no-such-text-zz');
  if (await visible() !== 0) fail(where, 'filter with no match: rows shown');
  await filter.fill('');
  if (await visible() !== rows.length) fail(where, 'cleared filter: not every row shown');
  const id = await table.getAttribute('id');
  console.log(`${where}: table #${id} sorted on column ${info.col} (${rows.length} rows), ` +
    `filter "${term}" showed ${got}`);
}

async function checkGraph(page, m, where) {
  const report = JSON.parse(fs.readFileSync(path.join(m.dir, 'report.json'), 'utf8'));
  const want = report.graph.nodes.map((n) => String(n.label ?? n.id)).sort();
  for (const h of hosts)
    if (!want.includes(h)) fail(where, `report.json's graph has no host ${h}`);
  let got;
  if (m.interactive && embedded) {
    try {
      await page.waitForSelector('#kz-cy[data-ready="1"]', { state: 'attached', timeout: 20000 });
    } catch (e) {
      fail(where, 'the interactive graph was not drawn (#kz-cy not data-ready)');
      return;
    }
    const g = await page.evaluate(() => {
      const c = document.getElementById('kz-cy');
      const v = document.getElementById('kz-graph-svg');
      const cy = c && c._cyreg && c._cyreg.cy;
      const r = c.getBoundingClientRect();
      return {
        canvases: c.querySelectorAll('canvas').length,
        cyHidden: c.hidden, svgHidden: v ? v.hidden : null,
        height: r.height,
        labels: cy ? cy.nodes().map((n) => n.data('label')) : null,
        edges: cy ? cy.edges().length : null,
        data: JSON.parse(document.getElementById('kz-graph-data').textContent),
      };
    });
    if (g.canvases < 1) fail(where, 'no canvas in #kz-cy');
    if (g.cyHidden || g.height < 100) fail(where, `#kz-cy not shown (height ${g.height})`);
    if (g.svgHidden !== true) fail(where, 'the SVG graph is not hidden');
    got = g.labels || g.data.nodes.map((n) => String(n.label ?? n.id));
    console.log(`${where}: cytoscape drew ${got.length} nodes` +
      (g.labels ? `, ${g.edges} edges` : ' (from the embedded JSON)'));
  } else {
    const g = await page.evaluate(() => {
      const svg = document.querySelector('svg.graph');
      if (!svg) return null;
      const r = svg.getBoundingClientRect();
      return {
        shown: r.width > 0 && r.height > 0,
        cy: document.getElementById('kz-cy') !== null,
        titles: Array.from(svg.querySelectorAll('g'))
          .filter((x) => x.querySelector(':scope > circle'))
          .map((x) => x.querySelector(':scope > title').textContent),
      };
    });
    if (!g) { fail(where, 'no svg.graph'); return; }
    if (!g.shown) fail(where, 'svg.graph not shown');
    if (g.cy && !m.interactive) fail(where, '#kz-cy without --interactive-graph');
    got = g.titles.map((t) => t.replace(/ \[[^\]]*\] rank .*$/s, ''));
    console.log(`${where}: the SVG has ${got.length} nodes`);
  }
  got = got.slice().sort();
  if (JSON.stringify(got) !== JSON.stringify(want))
    fail(where, `graph nodes ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  const el = page.locator(m.interactive && embedded ? '#kz-cy' : 'svg.graph');
  await el.scrollIntoViewIfNeeded();
  await el.screenshot({ path: path.join(work, `browser-${m.name}-graph.png`) });
}

async function checkMode(browser, m) {
  const where = m.name;
  const file = path.join(m.dir, 'report.html');
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const console_ = [], errors = [], requests = [];
  page.on('console', (msg) => console_.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (e) => errors.push(String(e)));
  context.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load', timeout: 30000 });
  if (m.name === 'ja') {
    const lang = await page.evaluate(() => document.documentElement.lang);
    if (lang !== 'ja') fail(where, `html lang="${lang}"`);
  }
  await checkGraph(page, m, where);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(work, `browser-${m.name}.png`) });
  await checkTables(page, where);
  await page.waitForTimeout(200);
  for (const c of console_) {
    if (c.startsWith('error:')) fail(where, `console ${c}`);
    else console.log(`${where}: console ${c}`);
  }
  for (const e of errors) fail(where, `page error ${e}`);
  for (const r of requests)
    if (r !== url) fail(where, `request to ${r}`);
  await context.close();
}

(async () => {
  let browser;
  const args = ['--disable-gpu'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  try {
    browser = await pw.chromium.launch({ executablePath: chromium, headless: true, args, timeout: 60000 });
  } catch (e) {
    console.log(`SKIP: ${chromium} did not start: ${String(e).split('\n')[0]}`);
    process.exit(77);
  }
  console.log(`browser: ${chromium} ${browser.version()}, playwright-core ` +
    `${require('playwright-core/package.json').version}, graph library ` +
    `${embedded ? 'embedded' : 'absent (the interactive modes check the SVG)'}`);
  try {
    for (const m of modes) await checkMode(browser, m);
  } catch (e) {
    fail('run', String(e));
  }
  await browser.close();
  if (bad.length) {
    console.log(bad.join('\n'));
    process.exit(1);
  }
  console.log(`browser: passed; screenshots in ${work}/browser-*.png`);
  process.exit(0);
})();
