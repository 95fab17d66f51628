// The lab under load on loopback: SSE clients, each its own session with a
// run playing, and control POSTs at a fixed rate; the round trips, the
// errors, the server's memory (VmRSS) second by second.
//   node bench/lab_load.js DRIFTLAB [SECONDS] [CLIENTS] [POSTS_PER_S] [--check]
// With --check (the CTest test serve_load) it fails on any error, on a stream
// that got no frame, or on memory that grows by more than 16 MiB after the
// first seconds; it never judges a time.
'use strict';
const { startServer } = require('../tests/browser/serve_process');
const fs = require('fs');
const http = require('http');

const args = process.argv.slice(2);
const check = args.includes('--check');
const [driftlab, secondsArg, clientsArg, rateArg] = args.filter(a => a !== '--check');
const SECONDS = Number(secondsArg || 30), CLIENTS = Number(clientsArg || 20), RATE = Number(rateArg || 200);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function post(base, path, body) {
  return new Promise(resolve => {
    const t0 = process.hrtime.bigint();
    const req = http.request(`${base}${path}`, { method: 'POST', agent }, res => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', e => resolve({ status: 0, error: e.message, ms: 0 }));
    req.end(body);
  });
}

function openStream(base, index, streams) {
  return new Promise((resolve, reject) => {
    const s = { frames: 0, sid: null, buf: '' };
    streams.push(s);
    http.get(`${base}/api/stream`, res => {
      s.res = res;
      res.on('data', async d => {
        s.buf += d;
        const parts = s.buf.split('\n\n');
        s.buf = parts.pop();
        for (const p of parts) {
          if (p.startsWith('event: frame')) s.frames++;
          const m = p.match(/"session":"([0-9a-f]+)"/);
          if (m && !s.sid) {
            s.sid = m[1];
            const lane = `domain=torus&dim=1&target=uniform&m=500&init=modes&modes=1,2,3&amp=0.01&quiet-start=true&n=500&sigma=0.5&dt=0.05&seed=${index + 1}&engine=pm`;
            const r1 = await post(base, `/api/lane?session=${s.sid}&lane=0`, lane);
            const r2 = await post(base, `/api/control?session=${s.sid}`, 'action=play');
            if (r1.status !== 200 || r2.status !== 200) reject(new Error(`stream ${index}: setup ${r1.status} ${r2.status}`));
            resolve(s);
          }
        }
      });
      res.on('error', () => {});
    }).on('error', reject);
  });
}

function rss(pid) {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) / 1024 : NaN;
}

const quantile = (a, q) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

(async () => {
  const server = await startServer(driftlab);
  const streams = [];
  for (let i = 0; i < CLIENTS; i++) await openStream(server.url, i, streams);
  const latencies = [], errors = [], memory = [];
  const actions = ['action=speed&count=1', 'action=speed&count=2', 'action=arrows&count=1', 'action=step&count=1'];
  let sent = 0;
  const t0 = Date.now();
  const memTimer = setInterval(() => memory.push(rss(server.proc.pid)), 1000);
  await new Promise(resolve => {
    const tick = setInterval(() => {
      const due = Math.floor((Date.now() - t0) / 1000 * RATE);
      for (; sent < due; sent++) {
        const s = streams[sent % streams.length];
        post(server.url, `/api/control?session=${s.sid}`, actions[sent % actions.length]).then(r => {
          if (r.status !== 200) errors.push(r.error || `HTTP ${r.status}`); else latencies.push(r.ms);
        });
      }
      if (Date.now() - t0 >= SECONDS * 1000) { clearInterval(tick); setTimeout(resolve, 500); }
    }, 5);
  });
  clearInterval(memTimer);
  const silent = streams.filter(s => s.frames === 0).length;
  const frames = streams.reduce((a, s) => a + s.frames, 0);
  streams.forEach(s => s.res.destroy());
  server.proc.kill('SIGTERM');
  const settled = memory.slice(Math.min(3, memory.length - 1));
  const growth = Math.max(...settled) - settled[0];
  console.log(`# driftlab serve under load: ${CLIENTS} SSE clients (a 500-particle run each, playing), ${RATE} control POSTs/s for ${SECONDS} s`);
  console.log(`control round trips: ${latencies.length}, p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms`);
  console.log(`errors: ${errors.length}${errors.length ? ` (${[...new Set(errors)].slice(0, 3).join('; ')})` : ''}`);
  console.log(`frames streamed: ${frames} (${(frames / SECONDS / CLIENTS).toFixed(1)} a second per client), streams with no frame: ${silent}`);
  console.log(`server VmRSS: ${memory[0].toFixed(1)} MiB at 1 s, ${settled[0].toFixed(1)} MiB at ${Math.min(4, memory.length)} s, ${memory[memory.length - 1].toFixed(1)} MiB at the end; growth after that ${growth.toFixed(1)} MiB`);
  if (check && (errors.length || silent || latencies.length === 0 || growth > 16)) {
    console.log('FAIL: errors, a silent stream, no round trip, or memory growth over 16 MiB');
    process.exit(1);
  }
})().catch(e => { console.error(e); process.exit(1); });
