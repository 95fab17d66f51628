/* panels.js: every panel the lab draws, registered in one table (PANELS).
 * A panel says which views show it, its caption (what to look at), and how
 * to draw one lane's latest frame and history on a Canvas2D. */
'use strict';

/* viridis at 16 stops: ordered, and safe for colour-blind viewers */
const VIRIDIS = ['#440154', '#481a6c', '#472f7d', '#414487', '#39568c', '#31688e', '#2a788e', '#23888e',
                 '#1f988b', '#22a884', '#35b779', '#54c568', '#7ad151', '#a5db36', '#d2e21b', '#fde725'];
const COLORS = { particles: '#E69F00', target: '#56B4E9', axis: '#5a5a6e', grid: '#e6e6ee',
                 v: '#009E73', vp: '#0072B2', vm: '#D55E00' };

function viridisRgb(u) {
  const c = VIRIDIS[Math.max(0, Math.min(15, Math.floor(u * 15.999)))];
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

function clear(ctx) {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

/* A plot frame: margins, axes, labels; returns the data-to-pixel maps. */
function axes(ctx, xr, yr, xlabel, ylabel) {
  const W = ctx.canvas.width, H = ctx.canvas.height, m = { l: 44, r: 8, t: 8, b: 28 };
  const X = x => m.l + (x - xr[0]) / (xr[1] - xr[0] || 1) * (W - m.l - m.r);
  const Y = y => H - m.b - (y - yr[0]) / (yr[1] - yr[0] || 1) * (H - m.t - m.b);
  ctx.strokeStyle = COLORS.axis;
  ctx.lineWidth = 1;
  ctx.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
  ctx.fillStyle = COLORS.axis;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText(xlabel, (m.l + W - m.r) / 2, H - 6);
  for (const x of [xr[0], xr[1]]) ctx.fillText(fmt(x), X(x), H - m.b + 12);
  ctx.textAlign = 'right';
  for (const y of [yr[0], yr[1]]) ctx.fillText(fmt(y), m.l - 4, Y(y) + 4);
  ctx.save();
  ctx.translate(11, (m.t + H - m.b) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(ylabel, 0, 0);
  ctx.restore();
  return { X, Y };
}

function fmt(v) {
  if (!isFinite(v)) return '';
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(1) : (+v.toPrecision(3)).toString();
}

function polyline(ctx, xs, ys, X, Y, color, dash) {
  ctx.strokeStyle = color;
  ctx.setLineDash(dash || []);
  ctx.beginPath();
  let on = false;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null || !isFinite(ys[i])) { on = false; continue; }
    if (on) ctx.lineTo(X(xs[i]), Y(ys[i])); else ctx.moveTo(X(xs[i]), Y(ys[i]));
    on = true;
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

function drawDensity(ctx, lane) {
  clear(ctx);
  const f = lane.frame;
  if (!f || !f.density) return;
  const n = f.density.length, L = f.domain === 'torus' ? f.length : f.box[1] - f.box[0];
  const x0 = f.domain === 'torus' ? 0 : f.box[0];
  const xs = f.density.map((_, i) => x0 + (i + 0.5) * L / n);
  const ymax = Math.max(1.5, ...f.density, ...f.target_density) * 1.05;
  const { X, Y } = axes(ctx, [x0, x0 + L], [0, ymax], 'x', 'density / uniform');
  ctx.lineWidth = 2;
  polyline(ctx, xs, f.target_density, X, Y, COLORS.target, [6, 3]);
  polyline(ctx, xs, f.density, X, Y, COLORS.particles);
  ctx.lineWidth = 1;
}

function drawModes(ctx, lane) {
  clear(ctx);
  const h = lane.history;
  if (!h.t.length) return;
  const tmax = Math.max(h.t[h.t.length - 1], lane.horizon || 1);
  const { X, Y } = axes(ctx, [0, tmax], [-30, 0], 't', 'ln |a_k(t)|');
  const clip = v => (v === null ? null : Math.max(-30, v));
  ctx.lineWidth = 1.5;
  for (let k = 15; k >= 0; k--) {
    polyline(ctx, h.t, h.modes.map(m => clip(m[k])), X, Y, VIRIDIS[k]);
    if (h.theory.length) polyline(ctx, h.t, h.theory.map(m => (m ? clip(m[k]) : null)), X, Y, VIRIDIS[k], [5, 4]);
  }
  ctx.lineWidth = 1;
}

function drawSigma(ctx, lane) {
  clear(ctx);
  const f = lane.frame, h = lane.history;
  if (!f || !h.t.length) return;
  const tEnd = Math.max(lane.horizon || 10, h.t[h.t.length - 1]);
  const future = f.schedule || [];
  const ts = future.map((_, i) => i * (f.schedule_t_end || tEnd) / Math.max(1, future.length - 1));
  const ymax = Math.max(...h.sigma, ...future, 1e-9) * 1.1;
  const { X, Y } = axes(ctx, [0, Math.max(tEnd, f.schedule_t_end || 0)], [0, ymax], 't', 'σ(t)');
  polyline(ctx, ts, future, X, Y, '#999999', [4, 4]);
  ctx.lineWidth = 2;
  polyline(ctx, h.t, h.sigma, X, Y, COLORS.vp);
  ctx.lineWidth = 1;
  ctx.fillStyle = COLORS.vm;
  ctx.beginPath();
  ctx.arc(X(f.t), Y(f.sigma), 5, 0, 2 * Math.PI);
  ctx.fill();
}

function drawHeat(ctx, lane) {
  clear(ctx);
  const f = lane.frame;
  if (!f || !f.heat) return;
  const n = Math.round(Math.sqrt(f.heat.length)), W = ctx.canvas.width, H = ctx.canvas.height;
  const img = ctx.createImageData(W, H);
  for (let py = 0; py < H; py++) {
    const j = n - 1 - Math.floor(py * n / H);
    for (let px = 0; px < W; px++) {
      const v = f.heat[j * n + Math.floor(px * n / W)];
      const [r, g, b] = viridisRgb(Math.max(0, Math.min(1, v - 0.5))); /* density 0.5 .. 1.5 of uniform */
      const o = 4 * (py * W + px);
      img.data[o] = r; img.data[o + 1] = g; img.data[o + 2] = b; img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

/* The plane's data box to pixels, shared with the brush (lab.js). */
function planeMap(ctx, box) {
  const W = ctx.canvas.width, H = ctx.canvas.height;
  return {
    X: x => (x - box[0]) / (box[1] - box[0]) * W,
    Y: y => H - (y - box[2]) / (box[3] - box[2]) * H,
    inv: (px, py) => [box[0] + px / W * (box[1] - box[0]), box[2] + (H - py) / H * (box[3] - box[2])],
  };
}

function dots(ctx, pts, X, Y, color, r) {
  ctx.fillStyle = color;
  for (let i = 0; i + 1 < pts.length; i += 2) ctx.fillRect(X(pts[i]) - r, Y(pts[i + 1]) - r, 2 * r, 2 * r);
}

function drawPlane(ctx, lane, opts) {
  clear(ctx);
  const f = lane.frame;
  if (!f || !f.box) return;
  const { X, Y } = planeMap(ctx, f.box);
  dots(ctx, f.targets || [], X, Y, COLORS.target, 1.5);
  dots(ctx, f.points || [], X, Y, COLORS.particles, 1.5);
  const which = opts.arrows;
  if (!f.arrows || which === 'none') return;
  const g = f.arrows.grid, v = f.arrows[which], scale = 0.4 * (f.box[1] - f.box[0]) / g;
  const mags = [];
  for (let i = 0; i < v.length; i += 2) mags.push(Math.hypot(v[i], v[i + 1]));
  mags.sort((a, b) => a - b);
  const vmax = Math.max(1e-12, mags[Math.floor(0.9 * (mags.length - 1))]); /* the far field would dwarf the rest */
  ctx.strokeStyle = COLORS[which];
  ctx.lineWidth = 1.2;
  for (let j = 0; j < g; j++) for (let i = 0; i < g; i++) {
    const k = 2 * (j * g + i);
    const x = f.box[0] + (i + 0.5) * (f.box[1] - f.box[0]) / g, y = f.box[2] + (j + 0.5) * (f.box[3] - f.box[2]) / g;
    const len = Math.hypot(v[k], v[k + 1]), shrink = len > vmax ? vmax / len : 1;
    const dx = v[k] / vmax * shrink * scale, dy = v[k + 1] / vmax * shrink * scale;
    ctx.beginPath();
    ctx.moveTo(X(x), Y(y));
    ctx.lineTo(X(x + dx), Y(y + dy));
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(X(x + dx), Y(y + dy), 1.8, 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.lineWidth = 1;
}

/* The table: id, the views that show it, its size, caption and drawing. */
const PANELS = [
  { id: 'density', views: ['torus1d'], w: 380, h: 200, draw: drawDensity,
    caption: 'The particles\' density (orange) against the target\'s (blue, dashed): watch the ripples flatten.' },
  { id: 'modes', views: ['torus1d', 'torus2d'], w: 380, h: 200, draw: drawModes,
    caption: 'ln|a_k(t)| for k = 1..16 (dark: low k, yellow: high k); solid measured, dashed the library\'s theory. A constant Gaussian leaves the high modes stuck; annealing frees them.' },
  { id: 'sigma', views: ['torus1d', 'torus2d', 'plane'], w: 260, h: 200, draw: drawSigma,
    caption: 'The bandwidth σ(t) (dashed: the schedule ahead); the dot is now.' },
  { id: 'heat', views: ['torus2d'], w: 240, h: 240, draw: drawHeat,
    caption: 'The particles\' density on the 2-D torus (the figure 5 picture): the seeded ripples fade toward uniform.' },
  { id: 'plane', views: ['plane'], w: 360, h: 360, draw: drawPlane,
    caption: 'Particles (orange) pulled toward the target (blue) and pushed from each other; arrows show the chosen field. Draw on it to make your own target.' },
];
