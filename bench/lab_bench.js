// The lab's speed, measured in the browser (Debian's chromium, playwright-core
// from tests/browser), beside the server's own frame rate with no browser:
//   node bench/lab_bench.js BUILD/driftlab [SECONDS]
// 1. three lockstep 1-D torus runs, N = M = 20000 (auto: the particle mesh), one step a frame;
// 2. the 2-D plane toy, N = M = 2000, the direct engine;
// 3. a slider's change: input event to the redrawn frame, paused and playing.
// Prints medians; a benchmark, never a test.  Run with nothing else on the machine.
'use strict';
const { startServer } = require('../tests/browser/serve_process');
const http = require('http');
const { chromium } = require('../tests/browser/node_modules/playwright-core');

const [driftlab, secondsArg] = process.argv.slice(2);
const SECONDS = Number(secondsArg || 10);
const median = a => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const STORY = '#preset=story&view=torus1d&seed=1&speed=1&arrows=none&n=20000&modes=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16&amp=0.005&horizon=30&toy=8gaussians'
  + '&0.kernel=gaussian&0.field=meanshift&0.schedule=constant&0.sigma=0.5&0.sigma0=2&0.rate=0.25&0.floor=0.005&0.scale=0.5&0.dt=0.05&0.engine=auto'
  + '&1.kernel=laplacian&1.field=meanshift&1.schedule=constant&1.sigma=0.5&1.sigma0=2&1.rate=0.25&1.floor=0.005&1.scale=0.5&1.dt=0.05&1.engine=auto'
  + '&2.kernel=gaussian&2.field=meanshift&2.schedule=exp&2.sigma=0.5&2.sigma0=2&2.rate=0.25&2.floor=0.005&2.scale=0.5&2.dt=0.05&2.engine=auto';
const PLANE = '#preset=toys&view=plane&seed=1&speed=1&arrows=v&n=2000&modes=1&amp=0.005&horizon=20&toy=8gaussians'
  + '&0.kernel=gaussian&0.field=meanshift&0.schedule=constant&0.sigma=0.5&0.sigma0=2&0.rate=0.25&0.floor=0.005&0.scale=0.5&0.dt=0.05&0.engine=direct';

/* Frames a second, drawn by the page, in windows of 2 s. */
async function pageFps(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.labReady && window.labIdle(), null, { timeout: 30000 });
  await page.evaluate(() => { if (!state.playing) togglePlay(); });
  await page.waitForTimeout(1500);
  const rates = [];
  for (let w = 0; w < SECONDS / 2; w++) {
    const a = await page.evaluate(() => [window.labFrames, lanes[0].frame.step, performance.now()]);
    await page.waitForTimeout(2000);
    const b = await page.evaluate(() => [window.labFrames, lanes[0].frame.step, performance.now()]);
    rates.push({ fps: (b[0] - a[0]) / ((b[2] - a[2]) / 1000), sps: (b[1] - a[1]) / ((b[2] - a[2]) / 1000) });
  }
  await page.evaluate(() => { if (state.playing) togglePlay(); });
  return { fps: median(rates.map(r => r.fps)), steps: median(rates.map(r => r.sps)) };
}

/* The same runs with no browser: an SSE client that only counts frames. */
function serverFps(base, lanesBody) {
  return new Promise((resolve, reject) => {
    http.get(`${base}/api/stream`, res => {
      let buf = '', sid = null, frames = 0, t0 = 0;
      res.on('data', async d => {
        buf += d;
        if (!sid) {
          const m = buf.match(/"session":"([0-9a-f]+)"/);
          if (!m) return;
          buf = '';
          sid = m[1];
          for (let i = 0; i < lanesBody.length; i++) await post(base, `/api/lane?session=${sid}&lane=${i}`, lanesBody[i]);
          await post(base, `/api/control?session=${sid}`, 'action=play');
          setTimeout(() => { frames = 0; t0 = Date.now(); }, 1500);
          setTimeout(() => { res.destroy(); resolve(frames / ((Date.now() - t0) / 1000)); }, 1500 + SECONDS * 1000);
        }
        const parts = buf.split('\n\n');
        buf = parts.pop(); /* an event split across reads waits for its end */
        frames += parts.filter(p => p.startsWith('event: frame')).length;
      });
    }).on('error', reject);
  });
}

function post(base, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST' }, res => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
}

/* Input event to the first drawn frame with the new sigma, in ms. */
async function sliderLatency(page, url, playing) {
  await page.goto(url);
  await page.waitForFunction(() => window.labReady && window.labIdle(), null, { timeout: 30000 });
  if (playing) await page.evaluate(() => togglePlay());
  const times = [];
  for (let i = 0; i < 15; i++) {
    const value = (0.3 + 0.02 * (i % 10)).toFixed(2);
    const ms = await page.evaluate(v => new Promise(resolve => {
      const t0 = performance.now(), el = document.getElementById('sigma');
      el.value = v;
      el.dispatchEvent(new Event('input'));
      const poll = () => {
        const f = lanes[0].frame;
        if (f && Math.abs(f.sigma - Number(v)) < 1e-9 && window.labLastFrameAt > t0) resolve(window.labLastFrameAt - t0);
        else requestAnimationFrame(poll);
      };
      poll();
    }), value);
    times.push(ms);
    await page.waitForTimeout(150);
  }
  if (playing) await page.evaluate(() => togglePlay());
  return { median: median(times), max: Math.max(...times) };
}

const laneBody = (kernel, extra) => `domain=torus&dim=1&target=uniform&m=20000&init=modes&modes=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16&amp=0.005&quiet-start=true&n=20000&kernel=${kernel}&sigma=0.5&dt=0.05&engine=auto&seed=1${extra || ''}`;

(async () => {
  const server = await startServer(driftlab);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu',
    '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const story = await pageFps(page, server.url + '/' + STORY);
  const storyServer = await serverFps(server.url, [laneBody('gaussian'), laneBody('laplacian'), laneBody('gaussian', '&schedule=exp&sigma=2&rate=0.25&sigma-min=0.005')]);
  const plane = await pageFps(page, server.url + '/' + PLANE);
  const planeServer = await serverFps(server.url, ['domain=rd&dim=2&target=8gaussians&m=2000&init=normal&n=2000&sigma=0.5&dt=0.05&engine=direct&seed=1']);
  const paused = await sliderLatency(page, server.url + '/' + STORY, false);
  const playing = await sliderLatency(page, server.url + '/' + STORY, true);
  console.log('# driftlab serve, in chromium (playwright-core), one step a frame; medians of 2 s windows');
  console.log('case                                      page fps  steps/s  server-only fps  page/server');
  console.log(`3 lockstep 1-D torus, N = M = 20000 (pm)  ${story.fps.toFixed(1).padStart(8)}  ${story.steps.toFixed(1).padStart(7)}  ${storyServer.toFixed(1).padStart(15)}  ${(story.fps / storyServer).toFixed(2).padStart(11)}`);
  console.log(`2-D plane, N = M = 2000 (direct, arrows)  ${plane.fps.toFixed(1).padStart(8)}  ${plane.steps.toFixed(1).padStart(7)}  ${planeServer.toFixed(1).padStart(15)}  ${(plane.fps / planeServer).toFixed(2).padStart(11)}`);
  console.log(`slider to redrawn frame (story, 15 changes): paused median ${paused.median.toFixed(1)} ms (max ${paused.max.toFixed(1)}), playing median ${playing.median.toFixed(1)} ms (max ${playing.max.toFixed(1)})`);
  await browser.close();
  server.proc.kill('SIGTERM');
})().catch(e => { console.error(e); process.exit(1); });
