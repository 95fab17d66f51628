/* lab.js: the drifting lab's page.  All state lives in one object (state),
 * mirrored in the URL; each run ("lane") is sent to the server as sim's own
 * options, and the server's frames (server-sent events) are drawn by the
 * panels of panels.js.  No build step. */
'use strict';

const LANE_DEFAULT = { kernel: 'gaussian', field: 'meanshift', schedule: 'constant', sigma: 0.5,
                       sigma0: 2, rate: 0.25, floor: 0.005, scale: 0.5, dt: 0.05, engine: 'pm' };

/* Presets: the paper recipe's figures, and the lab's starting points. */
const PRESETS = {
  story: { label: 'The story: constant Gaussian, constant Laplacian, annealed Gaussian',
    view: 'torus1d', n: 20000, modes: '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', amp: 0.005, horizon: 30,
    lanes: [{}, { kernel: 'laplacian' }, { schedule: 'exp', sigma0: 2, rate: 0.25, floor: 0.005 }],
    story: 'Three runs from one seed on one clock. The constant Gaussian kills the low modes and leaves the high ones stuck; the Laplacian moves them all; annealing frees them.' },
  canonical: { label: 'The canonical run: Gaussian, σ = 0.5, modes 1..6',
    view: 'torus1d', n: 2000, modes: '1,2,3,4,5,6', amp: 0.005, horizon: 7, lanes: [{}],
    story: 'docs/THEORY.md section 3: each seeded mode decays at its own rate γ(k), the dashed line.' },
  fig1: { label: 'Reproduce figure 1: the linear regime, Gaussian against Laplacian',
    view: 'torus1d', n: 2000, modes: '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', amp: 0.0001, horizon: 40,
    lanes: [{}, { kernel: 'laplacian' }],
    story: 'Figure 1 of the Turan recipe: at amplitude 1e-4 every mode follows its linear rate.' },
  fig2: { label: 'Reproduce figures 2 and 3: constant against annealed',
    view: 'torus1d', n: 2000, modes: '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16', amp: 0.005, horizon: 30,
    lanes: [{}, { schedule: 'exp', sigma0: 2, rate: 0.25, floor: 0.005 }],
    story: 'Figures 2 and 3: with σ = 2 e^{-t/4} every mode reaches the floor; with σ = 0.5 the high modes wait.' },
  fig5: { label: 'Reproduce figure 5: the 2-D torus, constant against annealed',
    view: 'torus2d', n: 2304, modes: '2:0,5:3,6:6', amp: 0.15, horizon: 20,
    lanes: [{ dt: 0.1 }, { dt: 0.1, schedule: 'exp', sigma0: 1, rate: 0.25, floor: 0.1 }],
    story: 'Figure 5: three seeded ripples on the 2-D torus; the annealed run flattens the fine one too.' },
  toys: { label: 'The plane: 8 gaussians',
    view: 'plane', n: 1000, toy: '8gaussians', horizon: 20, lanes: [{ sigma: 0.5, dt: 0.1, engine: 'auto' }],
    story: 'A 2-D toy target. Turn on the arrows to see V = V⁺ − V⁻; draw your own target with the brush.' },
};

const state = { preset: 'story', view: 'torus1d', seed: 1, speed: 1, playing: false, arrows: 'none',
                n: 20000, modes: '1,2,3', amp: 0.005, horizon: 30, toy: '8gaussians', drawn: false,
                lanes: [], edit: 0 };

let tables = null, session = null, source = null, drawnTarget = [], tool = 'brush';
const lanes = []; /* per lane: { frame, history, canvases } */

/* ---- small helpers ---- */
const $ = id => document.getElementById(id);

async function post(path, body) {
  const r = await fetch(`${path}${path.includes('?') ? '&' : '?'}session=${session}`,
                        { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  const text = await r.text();
  if (!r.ok) throw new Error(text.trim());
  return text;
}

function showError(text) { $('form-error').textContent = text || ''; }

function kernelFamily(name) { return name.split(':')[0]; }

/* ---- the state as sim's options ---- */
function laneOptions(i) {
  const l = state.lanes[i], o = new URLSearchParams();
  const torus = state.view !== 'plane';
  o.set('domain', torus ? 'torus' : 'rd');
  o.set('dim', state.view === 'torus1d' ? '1' : '2');
  if (torus) {
    o.set('target', 'uniform'); o.set('m', String(state.n));
    o.set('init', 'modes'); o.set('modes', state.modes); o.set('amp', String(state.amp));
    o.set('quiet-start', 'true');
  } else {
    o.set('target', state.drawn ? 'file:target.dat' : state.toy);
    o.set('m', state.drawn ? '0' : String(state.n));
    o.set('init', 'normal');
  }
  o.set('n', String(state.n));
  o.set('kernel', l.kernel); o.set('field', l.field);
  o.set('schedule', l.schedule);
  const annealed = l.schedule === 'exp' || l.schedule === 'cosine';
  o.set('sigma', String(annealed ? l.sigma0 : l.sigma));
  if (l.schedule === 'exp') { o.set('rate', String(l.rate)); o.set('sigma-min', String(l.floor)); }
  if (l.schedule === 'cosine') o.set('sigma-min', String(l.floor));
  if (l.schedule === 'adaptive') o.set('sigma-scale', String(l.scale));
  o.set('dt', String(l.dt)); o.set('t-end', String(state.horizon));
  o.set('engine', l.engine); o.set('seed', String(state.seed));
  return o.toString();
}

/* ---- the URL: state <-> hash ---- */
function saveUrl() {
  const p = new URLSearchParams();
  for (const k of ['preset', 'view', 'seed', 'speed', 'arrows', 'n', 'modes', 'amp', 'horizon', 'toy'])
    p.set(k, String(state[k]));
  state.lanes.forEach((l, i) => { for (const k of Object.keys(LANE_DEFAULT)) p.set(`${i}.${k}`, String(l[k])); });
  history.replaceState(null, '', `#${p.toString()}`);
}

function loadUrl() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (!p.has('view')) return false;
  for (const k of ['preset', 'view', 'modes', 'toy', 'arrows']) if (p.has(k)) state[k] = p.get(k);
  for (const k of ['seed', 'speed', 'n', 'amp', 'horizon']) if (p.has(k)) state[k] = Number(p.get(k));
  state.lanes = [];
  for (let i = 0; i < 3 && p.has(`${i}.kernel`); i++) {
    const l = { ...LANE_DEFAULT };
    for (const k of Object.keys(LANE_DEFAULT))
      if (p.has(`${i}.${k}`)) l[k] = typeof LANE_DEFAULT[k] === 'number' ? Number(p.get(`${i}.${k}`)) : p.get(`${i}.${k}`);
    state.lanes.push(l);
  }
  fitEngines();
  return state.lanes.length > 0;
}

/* The mesh is the torus's engine (auto picks the pairwise sums below 1e7
 * pairs, slow on the torus's images); on the plane the library picks. */
function fitEngines() {
  for (const l of state.lanes) {
    if (state.view === 'plane' && (l.engine === 'pm' || l.engine === 'coulomb')) l.engine = 'auto';
    if (state.view !== 'plane' && l.engine === 'auto') l.engine = 'pm';
  }
}

function applyPreset(name) {
  const p = PRESETS[name];
  Object.assign(state, { preset: name, view: p.view, n: p.n, modes: p.modes || state.modes,
                         amp: p.amp || state.amp, horizon: p.horizon, toy: p.toy || state.toy, drawn: false });
  state.lanes = p.lanes.map(l => ({ ...LANE_DEFAULT, ...l }));
  state.edit = 0;
}

/* ---- the page's layout ---- */
function buildLanes() {
  const root = $('lanes-view');
  root.textContent = '';
  lanes.length = 0;
  state.lanes.forEach((l, i) => {
    const div = document.createElement('section');
    div.className = 'lane';
    div.setAttribute('aria-label', `Run ${i + 1}`);
    const h = document.createElement('h3');
    h.id = `lane-title-${i}`;
    div.append(h);
    const alert = document.createElement('p');
    alert.className = 'alert';
    alert.setAttribute('role', 'alert');
    alert.id = `lane-error-${i}`;
    div.append(alert);
    const panels = document.createElement('div');
    panels.className = 'panels';
    const canvases = {};
    for (const p of PANELS.filter(p => p.views.includes(state.view))) {
      const fig = document.createElement('figure');
      const c = document.createElement('canvas');
      c.width = p.w; c.height = p.h; c.id = `${p.id}-${i}`;
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', `${p.id} of run ${i + 1}`);
      const cap = document.createElement('figcaption');
      cap.textContent = p.caption;
      const png = document.createElement('button');
      png.type = 'button'; png.className = 'png'; png.textContent = 'PNG';
      png.setAttribute('aria-label', `Download the ${p.id} panel of run ${i + 1} as PNG`);
      png.addEventListener('click', () => downloadPng(c, `driftlab-${p.id}-run${i + 1}.png`));
      fig.append(c, cap, png);
      panels.append(fig);
      canvases[p.id] = c;
      if (p.id === 'plane') attachBrush(c, i);
    }
    div.append(panels);
    root.append(div);
    lanes.push({ frame: null, history: newHistory(), canvases, horizon: state.horizon });
  });
  titleLanes();
}

function titleLanes() {
  state.lanes.forEach((l, i) => {
    const s = l.schedule === 'constant' ? `σ = ${l.sigma}` : l.schedule === 'exp'
      ? `σ = ${l.sigma0} e^{-${l.rate} t}, floor ${l.floor}` : l.schedule === 'adaptive'
      ? `σ = ${l.scale} × median distance` : `σ from ${l.sigma0} to ${l.floor} (cosine)`;
    const el = $(`lane-title-${i}`);
    if (el) el.textContent = `Run ${i + 1}: ${l.kernel}, ${l.field}, ${s}, dt = ${l.dt}`;
  });
  const sel = $('export-lane');
  sel.textContent = '';
  state.lanes.forEach((_, i) => sel.append(new Option(`Run ${i + 1}`, String(i))));
}

function newHistory() { return { t: [], modes: [], theory: [], sigma: [], step: -1 }; }

/* ---- controls ---- */
function fillSelect(sel, names) {
  sel.textContent = '';
  for (const n of names) sel.append(new Option(n, n));
}

function syncControls() {
  const l = state.lanes[state.edit];
  $('preset').value = state.preset;
  $('view').value = state.view;
  $('lanes').value = String(state.lanes.length);
  $('seed').value = String(state.seed);
  $('speed').value = String(state.speed);
  $('lane-name').textContent = String(state.edit + 1);
  const fam = tables.kernels.find(k => k.name === kernelFamily(l.kernel));
  $('kernel').value = fam.name;
  $('kparam-row').hidden = !fam.parameter;
  if (fam.parameter) {
    $('kparam-label').textContent = `${fam.parameter} (${fam.range})`;
    $('kparam').value = l.kernel.includes(':') ? l.kernel.split(':')[1] : fam.example.split(':')[1];
  }
  $('kernel-formula').textContent = `k(r) = ${fam.formula}`;
  $('field').value = l.field;
  $('schedule').value = l.schedule;
  $('engine').value = l.engine;
  for (const k of ['sigma', 'sigma0', 'rate', 'floor', 'scale', 'dt']) {
    $(k).value = String(l[k]);
    $(`${k}-out`).textContent = String(l[k]);
  }
  $('n').value = String(state.n);
  $('n-out').textContent = String(state.n);
  $('n').max = state.view === 'plane' ? '5000' : '20000';
  const annealed = l.schedule === 'exp' || l.schedule === 'cosine';
  $('row-sigma').hidden = annealed || l.schedule === 'adaptive';
  $('row-sigma0').hidden = !annealed;
  $('row-rate').hidden = l.schedule !== 'exp';
  $('row-floor').hidden = !annealed;
  $('row-scale').hidden = l.schedule !== 'adaptive';
  $('toy-row').hidden = state.view !== 'plane';
  $('toy').value = state.drawn ? '' : state.toy;
  $('draw-tools').hidden = state.view !== 'plane';
  $('story').textContent = PRESETS[state.preset] ? PRESETS[state.preset].story : '';
  const tabs = $('lane-tabs');
  tabs.textContent = '';
  state.lanes.forEach((_, i) => {
    const b = document.createElement('button');
    b.type = 'button'; b.textContent = `Run ${i + 1}`;
    b.setAttribute('role', 'tab');
    b.setAttribute('aria-selected', String(i === state.edit));
    b.addEventListener('click', () => { state.edit = i; syncControls(); });
    tabs.append(b);
  });
  $('play').textContent = state.playing ? '❚❚ Pause' : '▶ Play';
  $('play').setAttribute('aria-pressed', String(state.playing));
}

let sendTimer = null, sending = 0;
/* Whether every change has reached the server (the tests wait for it). */
window.labIdle = () => sendTimer === null && sending === 0;
/* A quiet start on the 2-D torus is a lattice: N a perfect square. */
function snapCount() {
  if (state.view === 'torus2d') state.n = Math.max(4, Math.round(Math.sqrt(state.n)) ** 2);
}

/* A change: the URL now, the server soon (coalescing a slider's drag).
 * which: 'all' lanes, one lane's index, or 'controls' (speed, arrows). */
let pendingWhich = null, pendingRebuild = false;
function changed(rebuild, which) {
  snapCount();
  saveUrl();
  syncControls();
  titleLanes();
  which = which === undefined ? 'all' : which;
  pendingWhich = pendingWhich === null || pendingWhich === which ? which
    : (pendingWhich === 'controls' ? which : which === 'controls' ? pendingWhich : 'all');
  pendingRebuild = pendingRebuild || rebuild;
  clearTimeout(sendTimer);
  sendTimer = setTimeout(() => {
    const w = pendingWhich, r = pendingRebuild;
    pendingWhich = null; pendingRebuild = false;
    sendAll(r, w);
  }, 15);
}

async function sendAll(rebuild, which) {
  sendTimer = null;
  if (!session) return;
  if (rebuild) buildLanes();
  which = which === undefined ? 'all' : which;
  sending++;
  try {
    if (which === 'all') for (let i = 0; i < state.lanes.length; i++) await post(`/api/lane?lane=${i}`, laneOptions(i));
    else if (which !== 'controls') await post(`/api/lane?lane=${which}`, laneOptions(which));
    if (which === 'all') await post('/api/control', `action=lanes&count=${state.lanes.length}`);
    if (which === 'all' || which === 'controls') {
      await post('/api/control', `action=speed&count=${state.speed}`);
      await post('/api/control', `action=arrows&count=${state.arrows === 'none' ? 1 : 2}`);
    }
    showError('');
    if (which !== 'controls') lanes.forEach(l => { l.history = newHistory(); l.horizon = state.horizon; });
  } catch (e) {
    showError(e.message);
  } finally {
    sending--;
  }
}

function onLaneInput(key, value) {
  state.lanes[state.edit][key] = value;
  $(`${key}-out`) && ($(`${key}-out`).textContent = String(value));
  state.preset = 'custom';
  changed(false, state.edit);
}

function bindControls() {
  fillSelect($('kernel'), tables.kernels.map(k => k.name));
  fillSelect($('field'), tables.operators.map(o => o.name));
  fillSelect($('schedule'), tables.schedules);
  fillSelect($('engine'), ['auto', ...tables.engines]);
  fillSelect($('toy'), tables.toys.filter(t => t !== 'uniform' && t !== 'modes'));
  const preset = $('preset');
  for (const [k, p] of Object.entries(PRESETS)) preset.append(new Option(p.label, k));
  preset.append(new Option('Your own settings', 'custom'));
  preset.addEventListener('change', () => { applyPreset(preset.value); changed(true); });
  $('view').addEventListener('change', e => {
    state.view = e.target.value; state.preset = 'custom';
    fitEngines();
    if (state.view === 'plane') state.n = Math.min(state.n, 1000);
    if (state.view === 'torus2d' && !state.modes.includes(':')) { state.modes = '2:0,5:3,6:6'; state.amp = 0.15; }
    if (state.view === 'torus1d' && state.modes.includes(':')) state.modes = '1,2,3';
    changed(true);
  });
  $('lanes').addEventListener('change', e => {
    const k = Number(e.target.value);
    while (state.lanes.length < k) state.lanes.push({ ...state.lanes[state.lanes.length - 1] });
    state.lanes.length = k;
    state.edit = Math.min(state.edit, k - 1);
    changed(true);
  });
  $('seed').addEventListener('change', e => { state.seed = Math.max(1, Math.floor(Number(e.target.value) || 1)); changed(false); });
  $('kernel').addEventListener('change', e => {
    const fam = tables.kernels.find(k => k.name === e.target.value);
    onLaneInput('kernel', fam.parameter ? fam.example : fam.name);
  });
  $('kparam').addEventListener('change', e => onLaneInput('kernel', `${kernelFamily(state.lanes[state.edit].kernel)}:${e.target.value}`));
  $('field').addEventListener('change', e => onLaneInput('field', e.target.value));
  $('schedule').addEventListener('change', e => onLaneInput('schedule', e.target.value));
  $('engine').addEventListener('change', e => onLaneInput('engine', e.target.value));
  for (const k of ['sigma', 'sigma0', 'rate', 'floor', 'scale', 'dt'])
    $(k).addEventListener('input', e => onLaneInput(k, Number(e.target.value)));
  $('n').addEventListener('input', e => { state.n = Number(e.target.value); changed(false); });
  $('toy').addEventListener('change', e => { state.toy = e.target.value; state.drawn = false; changed(false); });
  $('speed').addEventListener('change', e => { state.speed = Number(e.target.value); changed(false, 'controls'); });
  for (const r of document.querySelectorAll('input[name=arrows]'))
    r.addEventListener('change', e => { state.arrows = e.target.value; changed(false, 'controls'); });
  bindTransport();
  bindExport();
  bindDrawing();
}

function bindTransport() {
  $('play').addEventListener('click', togglePlay);
  $('step1').addEventListener('click', () => step(1));
  $('step10').addEventListener('click', () => step(10));
  $('reset').addEventListener('click', reset);
  $('newseed').addEventListener('click', () => { state.seed = 1 + Math.floor(Math.random() * 1e6); changed(false); });
  document.addEventListener('keydown', e => {
    if (e.target.closest('input, select, textarea') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === ' ') { e.preventDefault(); togglePlay(); }
    else if (e.key === 'ArrowRight') { e.preventDefault(); step(1); }
    else if (e.key === 'r' || e.key === 'R') { e.preventDefault(); reset(); }
  });
}

async function control(body) {
  try { await post('/api/control', body); showError(''); } catch (e) { showError(e.message); }
}

function togglePlay() {
  state.playing = !state.playing;
  syncControls();
  control(`action=${state.playing ? 'play' : 'pause'}`);
}

function step(k) { state.playing = false; syncControls(); control(`action=step&count=${k}`); }

function reset() {
  lanes.forEach(l => { l.history = newHistory(); });
  control('action=reset');
}

/* ---- export ---- */
function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function downloadPng(canvas, name) { canvas.toBlob(b => download(b, name), 'image/png'); }

async function fetchExport(what) {
  const lane = $('export-lane').value || '0';
  const r = await fetch(`/api/export?session=${session}&lane=${lane}&what=${what}`);
  const text = await r.text();
  if (!r.ok) throw new Error(text.trim());
  return text;
}

function bindExport() {
  $('export-modes').addEventListener('click', async () => {
    try { download(new Blob([await fetchExport('modes')], { type: 'text/plain' }), 'modes.dat'); showError(''); }
    catch (e) { showError(e.message); }
  });
  $('export-command').addEventListener('click', async () => {
    try { $('command').value = await fetchExport('command'); showError(''); } catch (e) { showError(e.message); }
  });
  $('export-target').addEventListener('click', async () => {
    try { download(new Blob([await fetchExport('target')], { type: 'text/plain' }), 'target.dat'); showError(''); }
    catch (e) { showError(e.message); }
  });
  $('copy-link').addEventListener('click', () => {
    saveUrl();
    $('command').value = location.href;
    if (navigator.clipboard) navigator.clipboard.writeText(location.href).catch(() => {});
  });
}

/* ---- drawing a target on the plane ---- */
function bindDrawing() {
  const setTool = t => {
    tool = t;
    $('tool-brush').setAttribute('aria-pressed', String(t === 'brush'));
    $('tool-erase').setAttribute('aria-pressed', String(t === 'erase'));
  };
  $('tool-brush').addEventListener('click', () => setTool('brush'));
  $('tool-erase').addEventListener('click', () => setTool('erase'));
  $('tool-clear').addEventListener('click', () => { drawnTarget = []; state.drawn = false; changed(false); });
  $('upload').addEventListener('change', async e => {
    const f = e.target.files[0];
    if (!f) return;
    if (f.size > 1 << 20) { showError(`${f.name} is over the lab's 1 MiB`); return; }
    await uploadTarget(await f.text());
  });
}

async function uploadTarget(text) {
  try {
    await post('/api/target', text);
    state.drawn = true;
    changed(false);
  } catch (e) { showError(e.message); }
}

function attachBrush(canvas, laneIndex) {
  let down = false;
  const paint = e => {
    const f = lanes[laneIndex] && lanes[laneIndex].frame;
    if (!f || !f.box) return;
    const rect = canvas.getBoundingClientRect();
    const px = (e.clientX - rect.left) * canvas.width / rect.width, py = (e.clientY - rect.top) * canvas.height / rect.height;
    const map = planeMap(canvas.getContext('2d'), f.box), r = 0.03 * (f.box[1] - f.box[0]);
    const [x, y] = map.inv(px, py);
    if (tool === 'erase') { drawnTarget = drawnTarget.filter(p => Math.hypot(p[0] - x, p[1] - y) > 2 * r); return; }
    for (let k = 0; k < 6; k++) {
      const a = 2 * Math.PI * Math.random(), d = r * Math.sqrt(Math.random());
      drawnTarget.push([x + d * Math.cos(a), y + d * Math.sin(a)]);
    }
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = COLORS.target;
    ctx.fillRect(px - 2, py - 2, 4, 4);
  };
  canvas.addEventListener('pointerdown', e => { down = true; canvas.setPointerCapture(e.pointerId); paint(e); });
  canvas.addEventListener('pointermove', e => { if (down) paint(e); });
  const up = () => {
    if (!down) return;
    down = false;
    if (drawnTarget.length >= 2) uploadTarget(drawnTarget.map(p => `${p[0].toFixed(5)} ${p[1].toFixed(5)}`).join('\n') + '\n');
  };
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
}

/* ---- frames ---- */
function record(lane, f) {
  const h = lane.history;
  if (f.step === undefined || f.step === h.step) return;
  if (f.step < h.step) lane.history = newHistory();
  const hh = lane.history;
  hh.step = f.step;
  hh.t.push(f.t);
  hh.sigma.push(f.sigma);
  if (f.modes) { hh.modes.push(f.modes); hh.theory.push(f.theory); }
  if (hh.t.length > 6000) for (const k of ['t', 'sigma', 'modes', 'theory']) hh[k] = hh[k].filter((_, i) => i % 2 === 0);
}

/* The slope of ln|a_k| over the last `window` of time, once the window is full. */
function fittedRates(h, window) {
  const n = h.t.length;
  if (!n || h.t[n - 1] - h.t[0] < window || !h.modes.length) return null;
  let i0 = n - 1;
  while (i0 > 0 && h.t[n - 1] - h.t[i0 - 1] <= window) i0--;
  const rates = [];
  for (let k = 0; k < 16; k++) {
    let st = 0, sy = 0, stt = 0, sty = 0, c = 0;
    for (let i = i0; i < n; i++) {
      const y = h.modes[i][k];
      if (y === null) continue;
      st += h.t[i]; sy += y; stt += h.t[i] * h.t[i]; sty += h.t[i] * y; c++;
    }
    rates.push(c > 2 ? -(c * sty - st * sy) / (c * stt - st * st) : null);
  }
  return rates;
}

function showRates() {
  const root = $('rates');
  root.textContent = '';
  lanes.forEach((lane, i) => {
    const f = lane.frame;
    if (!f || !f.modes) return;
    const window = Math.min(3, 0.5 * lane.horizon);
    const rates = fittedRates(lane.history, window);
    const t = document.createElement('table');
    t.id = `rates-${i}`;
    const d = f.diag;
    t.createCaption().textContent = `Run ${i + 1}` + (d ? `: energy distance ${fmt(d.energy_distance)}, rms V ${fmt(d.rms_v)}` : '');
    const head = t.insertRow();
    for (const s of ['k', 'fitted γ', 'theory γ', 'ratio']) head.insertCell().textContent = s;
    for (let k = 0; k < 16; k++) {
      const r = t.insertRow(), fit = rates ? rates[k] : null, th = f.gamma ? f.gamma[k] : null;
      r.insertCell().textContent = String(k + 1);
      const fc = r.insertCell(); fc.textContent = fit === null ? '…' : fit.toPrecision(4); fc.className = 'fit';
      const tc = r.insertCell(); tc.textContent = th === null ? '—' : th.toPrecision(4); tc.className = 'theory';
      r.insertCell().textContent = fit !== null && th ? (fit / th).toFixed(3) : '';
    }
    root.append(t);
  });
}

function onFrame(msg) {
  const data = JSON.parse(msg.data);
  state.playing = data.playing;
  data.lanes.forEach((f, i) => {
    const lane = lanes[i];
    if (!lane) return;
    lane.frame = f;
    record(lane, f);
    $(`lane-error-${i}`).textContent = f.error || '';
    for (const p of PANELS) if (lane.canvases[p.id]) p.draw(lane.canvases[p.id].getContext('2d'), lane, state);
  });
  const f0 = data.lanes[0];
  if (f0 && f0.t !== undefined) $('clock').textContent = `t = ${f0.t.toFixed(2)}  (step ${f0.step})`;
  $('play').textContent = state.playing ? '❚❚ Pause' : '▶ Play';
  $('play').setAttribute('aria-pressed', String(state.playing));
  window.labFrames = (window.labFrames || 0) + 1;
  window.labLastFrameAt = performance.now();
  if (window.labFrames % 5 === 0 || !state.playing) showRates();
}

function connect() {
  source = new EventSource('/api/stream');
  source.addEventListener('hello', async e => {
    session = JSON.parse(e.data).session;
    await sendAll(true);
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    if (state.playing && !reduce) await control('action=play');
    window.labReady = true;
  });
  source.addEventListener('frame', onFrame);
}

async function main() {
  const r = await fetch('/api/tables');
  tables = await r.json();
  if (!loadUrl()) applyPreset('story');
  bindControls();
  syncControls();
  buildLanes();
  connect();
}

main().catch(e => showError(`the lab could not start: ${e.message}`));
