// The lab in a real browser: Debian's chromium driven by playwright-core.
//   node lab_test.js NAME DRIFTLAB OUTDIR
// Each NAME is one CTest test (label browser).  Every test starts its own
// `driftlab serve --port 0`; a failing test keeps its screenshot in OUTDIR.
'use strict';
const { execFileSync } = require('child_process');
const { startServer } = require('./serve_process');
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [name, driftlab, outdir] = process.argv.slice(2);
const CHROMIUM = process.env.DRIFTLAB_CHROMIUM || '/usr/bin/chromium';

async function launch() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (scripts/bootstrap.sh test installs it)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

function check(cond, what) {
  if (!cond) throw new Error(what);
  console.log(`ok: ${what}`);
}

async function openLab(page, url, hash) {
  await page.goto(url + (hash || ''));
  await page.waitForFunction(() => window.labReady === true, null, { timeout: 20000 });
}

async function framesAfter(page, n) {
  const start = await page.evaluate(() => window.labFrames || 0);
  await page.waitForFunction(s => (window.labFrames || 0) >= s, start + n, { timeout: 30000 });
}

/* One frame drawn after every change has landed (a paused lab sends none unasked). */
async function refresh(page) {
  await page.waitForFunction(() => window.labIdle(), null, { timeout: 20000 });
  const start = await page.evaluate(() => window.labFrames || 0);
  await page.evaluate(() => fetch(`/api/control?session=${session}`, { method: 'POST', body: `action=speed&count=${state.speed}` }));
  await page.waitForFunction(s => (window.labFrames || 0) > s, start, { timeout: 20000 });
}

async function stepTo(page, step) {
  await page.waitForFunction(() => window.labIdle(), null, { timeout: 20000 });
  await page.evaluate(k => fetch(`/api/control?session=${session}`, { method: 'POST', body: `action=step&count=${k}` }), step);
  await page.waitForFunction(s => lanes[0] && lanes[0].frame && lanes[0].frame.step >= s, step, { timeout: 60000 });
}

/* The canvas's pixels, classified: particle orange and target blue. */
async function pixelClasses(page, canvasId) {
  return page.evaluate(id => {
    const c = document.getElementById(id), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const orange = [], blue = [];
    for (let i = 0; i < d.length; i += 4) {
      const p = i / 4, x = p % c.width, y = Math.floor(p / c.width);
      if (Math.abs(d[i] - 0xE6) < 8 && Math.abs(d[i + 1] - 0x9F) < 8 && Math.abs(d[i + 2]) < 8) orange.push([x, y]);
      else if (Math.abs(d[i] - 0x56) < 8 && Math.abs(d[i + 1] - 0xB4) < 8 && Math.abs(d[i + 2] - 0xE9) < 8) blue.push([x, y]);
    }
    return { orange, blue, w: c.width, h: c.height };
  }, canvasId);
}

/* The share of particle pixels within r pixels of a target pixel (of
 * `region`'s, by default the same canvas's). */
function nearShare(px, r, region) {
  const grid = new Set((region || px).blue.map(([x, y]) => `${x},${y}`));
  let near = 0;
  for (const [x, y] of px.orange) {
    let hit = false;
    for (let dy = -r; dy <= r && !hit; dy++) for (let dx = -r; dx <= r && !hit; dx++) hit = grid.has(`${x + dx},${y + dy}`);
    near += hit;
  }
  return px.orange.length ? near / px.orange.length : 0;
}

// Closed forms of docs/THEORY.md 3 in 1-D, written here independently of the library.
const GAMMA = {
  gaussian: s => s * s * Math.exp(-s * s / 2),
  laplacian: s => 2 * s * s / ((1 + s * s) ** 2),
};

async function theoryColumn(page, lane) {
  return page.$$eval(`#rates-${lane} td.theory`, tds => tds.map(td => Number(td.textContent)));
}

const TESTS = {
  async load(page, url, errors) {
    await openLab(page, url);
    await page.waitForFunction(() => window.labIdle() && lanes.length === 3 && lanes.every(l => l.frame), null, { timeout: 20000 });
    check(errors.length === 0, `no console error on load (${errors.join(' | ')})`);
    const before = await page.evaluate(() => state.playing);
    await page.keyboard.press('Space');
    await page.waitForFunction(b => state.playing !== b, before, { timeout: 5000 });
    const s0 = await page.evaluate(() => lanes[0].frame.step);
    await framesAfter(page, 10);
    const s1 = await page.evaluate(() => lanes[0].frame.step);
    check(s1 > s0, `Space plays: step ${s0} -> ${s1}`);
    await page.keyboard.press('Space');
    await page.waitForFunction(() => state.playing === false, null, { timeout: 5000 });
    check(true, 'Space pauses again');
  },

  async pixels(page, url) {
    await openLab(page, url, '#preset=toys&view=plane&seed=2&speed=1&arrows=none&n=1000&modes=1&amp=0.005&horizon=20&toy=8gaussians&0.kernel=gaussian&0.field=meanshift&0.schedule=constant&0.sigma=0.5&0.sigma0=2&0.rate=0.25&0.floor=0.005&0.scale=0.5&0.dt=0.1');
    await refresh(page);
    // the target's region: its pixels at step 0, before particles cover them
    const start = await pixelClasses(page, 'plane-0');
    const before = nearShare(start, 4);
    await stepTo(page, 300);
    await refresh(page);
    const after = nearShare(await pixelClasses(page, 'plane-0'), 4, start);
    check(after > 0.9 && after > before + 0.2,
          `particles inside the target's region: ${(100 * before).toFixed(1)}% of particle pixels at step 0, ${(100 * after).toFixed(1)}% at step 300`);
  },

  async kernel(page, url) {
    await openLab(page, url, '#preset=canonical&view=torus1d&seed=1&speed=1&arrows=none&n=2000&modes=1,2,3,4,5,6&amp=0.005&horizon=7&toy=8gaussians&0.kernel=gaussian&0.field=meanshift&0.schedule=constant&0.sigma=0.5&0.sigma0=2&0.rate=0.25&0.floor=0.005&0.scale=0.5&0.dt=0.05');
    await stepTo(page, 2);
    await page.waitForSelector('#rates-0 td.theory');
    for (const kernel of ['gaussian', 'laplacian']) {
      if (kernel !== 'gaussian') {
        await page.selectOption('#kernel', kernel);
        await page.waitForFunction(k => lanes[0].frame && lanes[0].frame.kernel === k, kernel, { timeout: 10000 });
        await stepTo(page, 1);
      }
      const shown = await theoryColumn(page, 0);
      for (let k = 1; k <= 6; k++) {
        const want = GAMMA[kernel](0.5 * k);
        check(Math.abs(shown[k - 1] - want) <= 1e-3 * want, `${kernel} theory γ(${k}) shown ${shown[k - 1]}, closed form ${want.toPrecision(4)}`);
      }
    }
  },

  async rates(page, url) {
    await openLab(page, url, '#preset=canonical&view=torus1d&seed=1&speed=1&arrows=none&n=2000&modes=1,2,3,4,5,6&amp=0.005&horizon=7&toy=8gaussians&0.kernel=gaussian&0.field=meanshift&0.schedule=constant&0.sigma=0.5&0.sigma0=2&0.rate=0.25&0.floor=0.005&0.scale=0.5&0.dt=0.05');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => lanes[0].frame && lanes[0].frame.t >= 4.0, null, { timeout: 60000 });
    await page.keyboard.press('Space');
    await page.waitForFunction(() => state.playing === false, null, { timeout: 5000 });
    await refresh(page);
    const fits = await page.$$eval('#rates-0 td.fit', tds => tds.map(td => Number(td.textContent)));
    for (let k = 1; k <= 3; k++) {
      const want = GAMMA.gaussian(0.5 * k), err = Math.abs(fits[k - 1] / want - 1);
      check(err < 0.05, `mode ${k}: fitted rate on the page ${fits[k - 1]} against theory ${want.toPrecision(4)} (${(100 * err).toFixed(2)}%)`);
    }
  },

  async draw(page, url) {
    await openLab(page, url, '#preset=toys&view=plane&seed=4&speed=1&arrows=none&n=600&modes=1&amp=0.005&horizon=20&toy=8gaussians&0.kernel=gaussian&0.field=meanshift&0.schedule=constant&0.sigma=0.5&0.sigma0=2&0.rate=0.25&0.floor=0.005&0.scale=0.5&0.dt=0.1');
    await refresh(page);
    const box = await page.locator('#plane-0').boundingBox();
    // a filled blob in the upper right quarter of the canvas
    const cx = box.x + 0.75 * box.width, cy = box.y + 0.25 * box.height;
    await page.mouse.move(cx - 30, cy - 30);
    await page.mouse.down();
    for (let row = -30; row <= 30; row += 6) for (let col = -30; col <= 30; col += 6) await page.mouse.move(cx + col, cy + row);
    await page.mouse.up();
    await page.waitForFunction(() => state.drawn === true, null, { timeout: 10000 });
    await page.waitForFunction(() => lanes[0].frame && lanes[0].frame.step === 0, null, { timeout: 10000 });
    const drawn = await page.evaluate(() => drawnTarget.length);
    check(drawn > 50, `${drawn} target points drawn with the mouse`);
    await stepTo(page, 300);
    await refresh(page);
    const f = await page.evaluate(() => lanes[0].frame);
    // the drawn region in data coordinates, from the canvas position of the brush strokes
    const inside = [];
    const pts = f.points, tg = f.targets;
    let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
    for (let i = 0; i < tg.length; i += 2) {
      xmin = Math.min(xmin, tg[i]); xmax = Math.max(xmax, tg[i]); ymin = Math.min(ymin, tg[i + 1]); ymax = Math.max(ymax, tg[i + 1]);
    }
    const pad = 0.1 * Math.max(xmax - xmin, ymax - ymin);
    for (let i = 0; i < pts.length; i += 2)
      inside.push(pts[i] > xmin - pad && pts[i] < xmax + pad && pts[i + 1] > ymin - pad && pts[i + 1] < ymax + pad);
    const share = inside.filter(Boolean).length / inside.length;
    check(share > 0.95, `${(100 * share).toFixed(1)}% of the particles inside the drawn region after 300 steps`);
    const px = await pixelClasses(page, 'plane-0');
    const right = px.orange.filter(([x, y]) => x > px.w / 2 && y < px.h / 2).length / Math.max(1, px.orange.length);
    check(right > 0.9, `${(100 * right).toFixed(1)}% of particle pixels in the drawn quarter of the canvas`);
  },

  async export(page, url) {
    await openLab(page, url, '#preset=canonical&view=torus1d&seed=5&speed=1&arrows=none&n=2000&modes=1,2,3,4,5,6&amp=0.005&horizon=7&toy=8gaussians&0.kernel=matern:1.5&0.field=meanshift&0.schedule=exp&0.sigma=0.5&0.sigma0=1.5&0.rate=0.3&0.floor=0.1&0.scale=0.5&0.dt=0.05');
    await stepTo(page, 37);
    await page.click('#export-command');
    await page.waitForFunction(() => document.getElementById('command').value.startsWith('driftlab sim'), null, { timeout: 10000 });
    const command = await page.inputValue('#command');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-modes')]);
    const pageModes = fs.readFileSync(await download.path(), 'utf8');
    const work = fs.mkdtempSync(path.join(require('os').tmpdir(), 'lab-export-'));
    const bin = path.dirname(path.resolve(driftlab));
    execFileSync('bash', ['-c', command], { cwd: work, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, stdio: 'inherit' });
    const simModes = fs.readFileSync(path.join(work, 'runs/lab/modes.dat'), 'utf8');
    check(pageModes.length > 1000 && pageModes.includes('--t-end 1.85'), `the page's modes.dat: ${pageModes.length} bytes, its command ends at t = 1.85`);
    check(simModes === pageModes, `driftlab sim, run with the exported command, wrote the same modes.dat, bit for bit (${command.length} characters of command)`);
    fs.rmSync(work, { recursive: true });
  },

  async url(page, url, errors, browser) {
    await openLab(page, url);
    await page.selectOption('#view', 'torus2d');
    await page.selectOption('#lanes', '2');
    await page.click('#lane-tabs button:nth-child(2)');
    await page.selectOption('#kernel', 'matern');
    await page.fill('#seed', '17');
    await page.locator('#seed').dispatchEvent('change');
    await page.waitForFunction(() => location.hash.includes('seed=17') && location.hash.includes('1.kernel=matern'), null, { timeout: 5000 });
    await stepTo(page, 4);
    const shared = page.url();
    const wanted = await page.evaluate(() => JSON.stringify({ view: state.view, seed: state.seed, lanes: state.lanes }));
    const frame = await page.evaluate(() => lanes[1].frame.modes.join(','));
    const other = await browser.newPage();
    await openLab(other, shared);
    await stepTo(other, 4);
    const got = await other.evaluate(() => JSON.stringify({ view: state.view, seed: state.seed, lanes: state.lanes }));
    check(got === wanted, `the shared link restores the state: ${got}`);
    const frame2 = await other.evaluate(() => lanes[1].frame.modes.join(','));
    check(frame2 === frame, 'and the same run: lane 2\'s modes at step 4 agree to every digit');
    check((await other.inputValue('#view')) === 'torus2d' && (await other.inputValue('#seed')) === '17', 'the controls show it');
  },
};

async function main() {
  if (!TESTS[name]) throw new Error(`unknown test '${name}' (${Object.keys(TESTS).join(', ')})`);
  const server = await startServer(driftlab);
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 }, acceptDownloads: true });
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(e.message));
  let failed = null;
  try {
    await TESTS[name](page, server.url, errors, browser);
  } catch (e) {
    failed = e;
    fs.mkdirSync(outdir, { recursive: true });
    const shot = path.join(outdir, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`FAIL ${name}: ${e.message}\n  screenshot kept: ${shot}`);
  }
  await browser.close();
  server.proc.kill('SIGTERM');
  process.exit(failed ? 1 : 0);
}

main().catch(e => { console.error(e); process.exit(1); });
