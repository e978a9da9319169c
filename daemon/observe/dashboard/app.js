// skiff's read-only dashboard (docs/daemon.md "Metrics and dashboard"). Polls the read-only
// JSON routes of `skiffd --listen` and redraws; no framework, no build step, nothing fetched
// from anywhere but skiffd. Data is put in the page as text (never as HTML), so a pod name or
// an event message cannot inject markup.
'use strict';

const POLL_MS = 1500;
const KEEP_MS = 30 * 60 * 1000; // the server keeps 30 minutes too
const COLORS = { desired: '#94a3b8', ready: '#1f6feb', cpu: '#d97706', memory: '#7c3aed' };

const state = {
  history: new Map(), since: 0, deployments: [], pods: [], events: [], top: new Map(),
  services: [], endpoints: new Map(),
};
// For tests (tests/dashboard): what the last redraw drew.
window.skiffDashboard = { polls: 0, pointsDrawn: {} };

async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function fillTable(id, rows, emptyText, columns) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren();
  if (rows.length === 0) {
    body.append(el('tr', {}, el('td', { colspan: String(columns), class: 'empty' }, emptyText)));
    return;
  }
  for (const r of rows) body.append(r);
}

function cpuText(millis) {
  return millis === undefined ? '–' : millis + 'm';
}
function memText(bytes) {
  if (bytes === undefined) return '–';
  if (bytes >= 1 << 30) return (bytes / (1 << 30)).toFixed(1) + 'Gi';
  if (bytes >= 1 << 20) return (bytes / (1 << 20)).toFixed(1) + 'Mi';
  return Math.round(bytes / 1024) + 'Ki';
}
function ownerOf(pod) {
  const refs = (pod.metadata && pod.metadata.ownerReferences) || [];
  return refs.length ? refs[0].name : '';
}
function podReady(pod) {
  const c = ((pod.status && pod.status.conditions) || []).find((x) => x.type === 'Ready');
  return c ? c.status === 'True' : false;
}

function renderDeployments() {
  const rows = state.deployments.map((d) => {
    const s = d.status || {};
    const containers = d.spec.template.spec.containers || [];
    const ready = s.readyReplicas || 0;
    return el('tr', {},
      el('td', {}, d.metadata.name),
      el('td', { class: 'num' }, d.spec.replicas),
      el('td', { class: 'num' }, s.replicas || 0),
      el('td', { class: 'num ' + (ready >= d.spec.replicas ? 'ok' : 'bad') }, ready),
      el('td', { class: 'num' }, s.updatedReplicas || 0),
      el('td', {}, containers.map((c) => c.image).join(', ')));
  });
  fillTable('deployments', rows, 'No deployments', 6);
}

function renderPods() {
  const rows = state.pods.map((p) => {
    const statuses = (p.status && p.status.containerStatuses) || [];
    const restarts = statuses.reduce((n, c) => n + (c.restartCount || 0), 0);
    const top = state.top.get(p.metadata.name);
    const phase = p.metadata.deletionTimestamp ? 'Terminating' : (p.status && p.status.phase) || 'Pending';
    const ready = podReady(p);
    return el('tr', {},
      el('td', {}, p.metadata.name),
      el('td', {}, ownerOf(p) || '–'),
      el('td', {}, phase),
      el('td', { class: ready ? 'ok' : 'bad' }, ready ? 'yes' : 'no'),
      el('td', { class: 'num' }, restarts),
      el('td', { class: 'num' }, cpuText(top && top.cpuMillis)),
      el('td', { class: 'num' }, memText(top && top.memoryBytes)),
      el('td', {}, (p.status && p.status.podIP) || '–'));
  });
  fillTable('pods', rows, 'No pods', 8);
}

// kubectl's PORT(S): "8080/TCP", or "8080:30080/TCP" with a nodePort.
function portText(p) {
  return (p.name ? p.name + ' ' : '') + p.port + (p.nodePort ? ':' + p.nodePort : '') + '/' + (p.protocol || 'TCP');
}
// The Endpoints' subset of a Service port (api_endpoints.cc: one per port that has ready
// pods, named as the port), or none.
function subsetOf(endpoints, port) {
  const subsets = (endpoints && endpoints.subsets) || [];
  return subsets.find((s) => (s.ports[0].name || '') === (port.name || '') &&
    s.ports[0].protocol === (port.protocol || 'TCP'));
}

// One row per Service port: its ready endpoints may differ from its sibling's (a named
// targetPort that some pods lack).
function renderServices() {
  const rows = [];
  for (const svc of state.services) {
    const name = svc.metadata.name;
    const ports = svc.spec.ports || [];
    const selector = Object.entries(svc.spec.selector || {}).map(([k, v]) => k + '=' + v).join(',');
    ports.forEach((p, i) => {
      const subset = subsetOf(state.endpoints.get(name), p);
      const addresses = subset ? subset.addresses : [];
      // One unbreakable entry per pod: a long list wraps between pods, never inside a name.
      const targets = addresses.map((a) => el('span', { class: 'endpoint' },
        a.targetRef ? a.targetRef.name + ' ' : '', el('small', {}, a.ip + ':' + subset.ports[0].port)));
      const cells = [];
      if (i === 0) {
        const span = { rowspan: String(ports.length) };
        cells.push(el('td', span, name), el('td', span, svc.spec.type || 'ClusterIP'), el('td', span, selector || '–'));
      }
      cells.push(
        el('td', {}, portText(p)),
        el('td', {}, p.targetPort === undefined ? p.port : p.targetPort),
        el('td', { class: 'num ready ' + (addresses.length ? 'ok' : 'bad') }, addresses.length),
        el('td', { class: 'endpoints' }, ...(targets.length ? targets : ['–'])));
      rows.push(el('tr', { 'data-service': name, 'data-port': String(p.port) }, ...cells));
    });
  }
  fillTable('services', rows, 'No services', 7);
}

function renderEvents() {
  // The API lists oldest first; reversed, the stable sort keeps the newest of a second first.
  const sorted = state.events.slice().reverse().sort((a, b) =>
    (b.lastTimestamp || '').localeCompare(a.lastTimestamp || ''));
  const rows = sorted.slice(0, 100).map((e) => el('tr', { class: e.type === 'Warning' ? 'warning' : '' },
    el('td', {}, (e.lastTimestamp || '').replace('T', ' ').replace('Z', '')),
    el('td', {}, e.type),
    el('td', {}, e.reason),
    el('td', {}, e.involvedObject.kind + '/' + e.involvedObject.name),
    el('td', { class: 'num' }, e.count),
    el('td', { class: 'message' }, e.message)));
  fillTable('events', rows, 'No events', 6);
}

// One panel: lines of `series` ({key, color, label, format}) over time, each scaled to the
// panel's shared maximum (replicas) or its own (CPU vs memory, `own`).
function drawPanel(canvas, points, series, own) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  g.clearRect(0, 0, w, h);
  const pad = { l: 34, r: 8, t: 6, b: 16 };
  const now = Date.now();
  // The window grows with the history: at least a minute, at most what the server keeps.
  const t0 = Math.min(now - 60 * 1000, points.length ? points[0].t : now);
  const x = (t) => pad.l + ((t - t0) / Math.max(1, now - t0)) * (w - pad.l - pad.r);
  g.strokeStyle = '#dde2e6';
  g.fillStyle = '#66717c';
  g.font = '10px system-ui, sans-serif';
  g.beginPath();
  g.moveTo(pad.l, pad.t);
  g.lineTo(pad.l, h - pad.b);
  g.lineTo(w - pad.r, h - pad.b);
  g.stroke();
  g.fillText(Math.round((now - t0) / 60000) + ' min ago', pad.l, h - 3);
  g.fillText('now', w - pad.r - 18, h - 3);
  let shared = 1;
  for (const s of series) for (const p of points) shared = Math.max(shared, p[s.key]);
  if (!own) g.fillText(String(shared), 4, pad.t + 8);
  let drawn = 0;
  for (const s of series) {
    let max = shared;
    if (own) {
      max = 1;
      for (const p of points) max = Math.max(max, p[s.key]);
    }
    const y = (v) => h - pad.b - (v / max) * (h - pad.t - pad.b - 4);
    g.strokeStyle = s.color;
    g.lineWidth = 2;
    g.setLineDash(s.dash || []);
    g.beginPath();
    points.forEach((p, i) => (i ? g.lineTo(x(p.t), y(p[s.key])) : g.moveTo(x(p.t), y(p[s.key]))));
    g.stroke();
    g.setLineDash([]);
    drawn += points.length;
  }
  return drawn;
}

function legend(items) {
  return el('div', { class: 'legend' }, ...items.map(([color, text]) =>
    el('span', {}, el('i', { style: 'background:' + color }), text)));
}

function renderCharts() {
  const box = document.getElementById('charts');
  box.replaceChildren();
  const names = [...state.history.keys()].sort();
  if (names.length === 0) box.append(el('p', { class: 'empty' }, 'No deployments'));
  for (const name of names) {
    const points = state.history.get(name);
    const last = points[points.length - 1] || { desired: 0, ready: 0, cpuMillicores: 0, memoryBytes: 0 };
    const replicas = el('canvas', { 'data-deployment': name, 'data-panel': 'replicas' });
    const usage = el('canvas', { 'data-deployment': name, 'data-panel': 'usage' });
    box.append(el('div', { class: 'chart', 'data-deployment': name },
      el('h3', {}, name),
      legend([[COLORS.desired, 'desired ' + last.desired], [COLORS.ready, 'ready ' + last.ready]]),
      replicas,
      legend([[COLORS.cpu, 'CPU ' + cpuText(last.cpuMillicores)], [COLORS.memory, 'memory ' + memText(last.memoryBytes)]]),
      usage));
    const n = drawPanel(replicas, points, [
      { key: 'desired', color: COLORS.desired, dash: [4, 3] },
      { key: 'ready', color: COLORS.ready }], false);
    drawPanel(usage, points, [{ key: 'cpuMillicores', color: COLORS.cpu }, { key: 'memoryBytes', color: COLORS.memory }], true);
    replicas.dataset.points = String(points.length);
    window.skiffDashboard.pointsDrawn[name] = n ? points.length : 0;
  }
}

async function poll() {
  const status = document.getElementById('status');
  try {
    const [deployments, pods, events, services, endpoints, history] = await Promise.all([
      getJson('/v1/deployments'), getJson('/v1/pods'), getJson('/v1/events'),
      getJson('/v1/services'), getJson('/v1/endpoints'),
      getJson('/v1/dashboard/history?since=' + state.since)]);
    // No metrics yet (or not collected) is not an error: the columns show '–'.
    const top = await getJson('/v1/top/pods').catch(() => ({ items: [] }));
    state.deployments = deployments.items;
    state.pods = pods.items;
    state.events = events.items;
    state.services = services.items;
    state.endpoints = new Map(endpoints.items.map((e) => [e.metadata.name, e]));
    state.top = new Map(top.items.map((m) => [m.name, m]));
    const cutoff = Date.now() - KEEP_MS;
    for (const name of [...state.history.keys()])
      if (!(name in history.deployments)) state.history.delete(name);
    for (const [name, points] of Object.entries(history.deployments)) {
      const merged = (state.history.get(name) || []).concat(points).filter((p) => p.t >= cutoff);
      state.history.set(name, merged);
      for (const p of points) state.since = Math.max(state.since, p.t);
    }
    renderDeployments();
    renderPods();
    renderServices();
    renderEvents();
    renderCharts();
    window.skiffDashboard.polls++;
    status.textContent = 'updated ' + new Date().toLocaleTimeString();
    status.classList.remove('error');
  } catch (e) {
    status.textContent = 'skiffd unreachable: ' + e.message;
    status.classList.add('error');
  }
  setTimeout(poll, POLL_MS);
}

window.addEventListener('resize', renderCharts);
poll();
