'use strict';

const REFRESH_MS = 3000;
const HISTORY = 40;
const history = new Map();

function remember(name, check) {
  const samples = history.get(name) ?? [];
  samples.push({ latencyMs: check.latencyMs, up: check.status === 'up' });
  if (samples.length > HISTORY) samples.shift();
  history.set(name, samples);
  return samples;
}

function sparkline(samples) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${HISTORY} 28`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const max = Math.max(1, ...samples.map((s) => s.latencyMs));
  const y = (v) => (26 - (v / max) * 24).toFixed(1);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', samples.map((s, i) => `${i},${y(s.latencyMs)}`).join(' '));
  svg.appendChild(line);
  samples.forEach((s, i) => {
    if (s.up) return;
    const dot = document.createElementNS(ns, 'circle');
    dot.setAttribute('class', 'down');
    dot.setAttribute('cx', String(i));
    dot.setAttribute('cy', y(s.latencyMs));
    dot.setAttribute('r', '1.5');
    svg.appendChild(dot);
  });
  const title = document.createElementNS(ns, 'title');
  title.textContent = `max ${max} ms over the last ${samples.length} checks`;
  svg.appendChild(title);
  return svg;
}

function cell(text, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (text instanceof Node) td.appendChild(text);
  else td.textContent = text;
  return td;
}

function badge(status) {
  const span = document.createElement('span');
  span.className = 'badge';
  span.dataset.status = status;
  span.textContent = status;
  return span;
}

function row(name, check, child) {
  const tr = document.createElement('tr');
  tr.dataset.component = name;
  tr.dataset.status = check.status;
  tr.appendChild(cell(child ? `↳ ${name.split('/').pop()}` : name, child ? 'child' : ''));
  tr.appendChild(cell(badge(check.status)));
  tr.appendChild(cell(`${check.latencyMs} ms`));
  tr.appendChild(cell(sparkline(remember(name, check))));
  tr.appendChild(cell(check.error ?? ''));
  return tr;
}

function render(report) {
  const overall = document.getElementById('overall');
  overall.dataset.status = report.status;
  overall.textContent = report.status === 'ok' ? 'all systems up' : 'degraded';
  const rows = [];
  for (const [name, check] of Object.entries(report.checks)) {
    rows.push(row(name, check, false));
    for (const [childName, childCheck] of Object.entries(check.checks ?? {})) rows.push(row(`${name}/${childName}`, childCheck, true));
  }
  document.querySelector('#components tbody').replaceChildren(...rows);
  document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function unreachable(message) {
  const overall = document.getElementById('overall');
  overall.dataset.status = 'unreachable';
  overall.textContent = `gateway unreachable: ${message}`;
}

async function refresh() {
  try {
    const res = await fetch('/healthz', { cache: 'no-store', headers: { accept: 'application/json' } });
    render(await res.json());
  } catch (error) {
    unreachable(error.message);
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
