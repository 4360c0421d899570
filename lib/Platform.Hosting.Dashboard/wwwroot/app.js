// Platform dashboard: one page, routed by the URL fragment, fed by /api and live updates from /api/events.
'use strict';

// ---- live updates -------------------------------------------------------------------------------------------
const listeners = new Set();
function onLive(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function connectLive() {
  const source = new EventSource('/api/events');
  const dot = document.getElementById('live');
  source.onopen = () => dot.classList.add('on');
  source.onerror = () => dot.classList.remove('on');
  for (const kind of ['resources', 'console', 'logs', 'spans', 'metrics']) {
    source.addEventListener(kind, e => {
      const payload = JSON.parse(e.data);
      for (const fn of listeners) fn(kind, payload);
    });
  }
}

// ---- router -------------------------------------------------------------------------------------------------
const main = document.getElementById('main');
let cleanup = () => {};
function route() {
  cleanup();
  cleanup = () => {};
  const [path, query] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const parts = (path || '/resources').split('/').filter(Boolean);
  const page = parts[0] || 'resources';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page);
  main.replaceChildren();
  const pages = { resources: resourcesPage, console: consolePage, logs: logsPage, traces: tracesPage, metrics: metricsPage };
  const render = parts[0] === 'traces' && parts[1] ? () => traceDetailPage(parts[1]) : (pages[page] || resourcesPage);
  Promise.resolve(render(params)).then(c => { if (typeof c === 'function') cleanup = c; })
    .catch(e => main.append(h('p', { class: 'empty' }, 'Could not load: ' + e.message)));
}
function setQuery(page, values) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  const hash = '#/' + page + (params.size ? '?' + params : '');
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

// ---- Resources ----------------------------------------------------------------------------------------------
async function resourcesPage() {
  const body = h('tbody');
  const open = new Set();
  const revealed = new Map();
  main.append(h('h1', {}, 'Resources'),
    h('div', { class: 'scroll' }, h('table', { id: 'resources' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'State'), h('th', { class: 'hide-sm' }, 'Health'),
        h('th', { class: 'hide-sm' }, 'Started'), h('th', {}, 'Endpoints'), h('th', { class: 'hide-sm' }, 'Replicas'), h('th', {}, 'Actions'))),
      body)));

  async function command(name, cmd, button) {
    button.disabled = true;
    try { await api(`/resources/${encodeURIComponent(name)}/commands/${cmd}`, { method: 'POST' }); toast(`${cmd}: ${name}`); }
    catch (e) { toast(`${cmd} ${name} failed: ${e.message}`); }
    finally { button.disabled = false; refresh(); }
  }

  function details(r) {
    const full = revealed.get(r.name);
    const env = (full || r).environment;
    const rows = [];
    if (r.message) rows.push(['Message', r.message]);
    if (r.connectionString) rows.push(['Connection string', (full || r).connectionString]);
    if (r.dependencies.length) rows.push(['Depends on', r.dependencies.join(', ')]);
    if (r.exitCode !== null && r.exitCode !== undefined) rows.push(['Exit code', String(r.exitCode)]);
    for (const u of r.urls) rows.push([`Endpoint ${u.name}${u.isInternal ? ' (replica)' : ''}`, u.url]);
    const hasSecret = env.some(e => e.isSecret) || r.connectionString;
    return h('td', { colspan: 8 },
      hasSecret ? h('div', { class: 'toolbar' }, h('button', {
        'data-testid': 'reveal', onclick: async () => {
          if (full) revealed.delete(r.name); else revealed.set(r.name, await api(`/resources/${encodeURIComponent(r.name)}?reveal=true`));
          refresh();
        },
      }, full ? 'Hide secrets' : 'Reveal secrets')) : null,
      kvTable(rows),
      r.replicas.length > 1 ? [h('h2', {}, 'Replicas'), h('table', {}, h('tbody', {}, r.replicas.map(p => h('tr', {},
        h('td', {}, p.name), h('td', {}, badge(p.state)), h('td', {}, p.health ? badge(p.health) : ''),
        h('td', { class: 'muted' }, p.processId ? 'pid ' + p.processId : ''), h('td', { class: 'muted' }, fmtDateTime(p.startedAt))))))] : null,
      env.length ? [h('h2', {}, 'Environment'), kvTable(env.map(e => [e.name, e.value ?? '']))] : null);
  }

  async function refresh() {
    const resources = await api('/resources');
    body.replaceChildren(...resources.flatMap(r => {
      const actions = h('div', { class: 'actions' }, ['start', 'stop', 'restart'].filter(c => r.commands.includes(c)).map(c => h('button', {
        'data-command': c,
        disabled: (c === 'start' && ['Running', 'Starting', 'Waiting'].includes(r.state)) || (c === 'stop' && !['Running', 'Starting', 'RuntimeUnhealthy'].includes(r.state)),
        onclick: e => { e.stopPropagation(); command(r.name, c, e.currentTarget); },
      }, c[0].toUpperCase() + c.slice(1))));
      const row = h('tr', { class: 'clickable', 'data-resource': r.name, onclick: () => { open.has(r.name) ? open.delete(r.name) : open.add(r.name); refresh(); } },
        h('td', {}, h('strong', {}, r.name)),
        h('td', { class: 'muted' }, r.type),
        h('td', { 'data-testid': 'state' }, badge(r.state)),
        h('td', { class: 'hide-sm', 'data-testid': 'health' }, r.health ? badge(r.health) : ''),
        h('td', { class: 'hide-sm muted' }, fmtDateTime(r.startedAt)),
        h('td', {}, r.urls.filter(u => !u.isInternal).map(u => h('div', {}, h('a', { href: u.url, target: '_blank', rel: 'noopener', onclick: e => e.stopPropagation() }, u.url)))),
        h('td', { class: 'hide-sm' }, r.replicas.length || ''),
        h('td', {}, actions, h('a', { href: `#/console?resource=${encodeURIComponent(r.name)}`, onclick: e => e.stopPropagation() }, 'Console')));
      return open.has(r.name) ? [row, h('tr', { class: 'details' }, details(r))] : [row];
    }));
    if (!resources.length) body.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No resources yet.')));
  }
  await refresh();
  const later = debounce(refresh, 250);
  return onLive(kind => { if (kind === 'resources' || kind === 'spans') later(); });
}

// ---- Console logs -------------------------------------------------------------------------------------------
async function consolePage(params) {
  const resources = (await api('/resources')).filter(r => r.type !== 'Telemetry');
  let resource = params.get('resource') || resources[0]?.name || '';
  let replica = params.get('replica') || '';
  let search = params.get('q') || '';
  const box = h('div', { class: 'console', id: 'console', role: 'log', 'aria-live': 'polite' });
  const current = resources.find(r => r.name === resource);
  const replicaSelect = select('replica', [['', 'All replicas'], ...(current?.replicas || []).map(p => [p.name, p.name])], replica,
    e => { replica = e.target.value; reload(); });
  main.append(h('h1', {}, 'Console logs'), h('div', { class: 'toolbar' },
    select('resource', resources.map(r => [r.name, r.name]), resource, e => { resource = e.target.value; location.hash = '#/console?resource=' + encodeURIComponent(resource); }),
    replicaSelect,
    h('input', { type: 'search', id: 'search', placeholder: 'Search', value: search, oninput: debounce(e => { search = e.target.value; reload(); }, 200) })), box);
  if (!resource) { box.append('No resources.'); return; }

  let lines = [];
  const matches = l => (!replica || l.replica === replica) && (!search || l.text.toLowerCase().includes(search.toLowerCase()));
  const lineEl = l => h('div', { class: l.isError ? 'err' : '' }, h('span', { class: 'rep' }, `${fmtTime(l.timestamp)} [${l.replica}] `), l.text);
  function render() {
    setQuery('console', { resource, replica, q: search });
    box.replaceChildren(...lines.filter(matches).slice(-2000).map(lineEl));
    box.scrollTop = box.scrollHeight;
  }
  async function reload() {
    try { lines = await api('/console/' + encodeURIComponent(resource)); } catch { lines = []; }
    render();
  }
  await reload();
  return onLive((kind, e) => {
    if (kind !== 'console' || e.resource !== resource) return;
    lines.push(e.data);
    if (lines.length > 10000) lines = lines.slice(-5000);
    if (!matches(e.data)) return;
    const stick = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
    box.append(lineEl(e.data));
    if (stick) box.scrollTop = box.scrollHeight;
  });
}

// ---- Structured logs ----------------------------------------------------------------------------------------
async function logsPage(params) {
  const resources = await api('/resources');
  const state = { resource: params.get('resource') || '', level: params.get('level') || '', text: params.get('text') || '', traceId: params.get('traceId') || '' };
  const body = h('tbody');
  const open = new Set();
  main.append(h('h1', {}, 'Structured logs'), h('div', { class: 'toolbar' },
    select('log-resource', [['', 'All resources'], ...resources.map(r => [r.name, r.name])], state.resource, e => { state.resource = e.target.value; refresh(); }),
    select('log-level', [['', 'All levels'], ['debug', 'Debug+'], ['information', 'Information+'], ['warning', 'Warning+'], ['error', 'Error+']], state.level, e => { state.level = e.target.value; refresh(); }),
    h('input', { type: 'search', id: 'log-text', placeholder: 'Filter text', value: state.text, oninput: debounce(e => { state.text = e.target.value; refresh(); }, 250) }),
    state.traceId ? h('button', { onclick: () => { state.traceId = ''; refresh(); } }, 'Trace ' + state.traceId.slice(0, 8) + ' ✕') : null),
  h('div', { class: 'scroll' }, h('table', { id: 'logs' }, h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Resource'), h('th', {}, 'Level'), h('th', {}, 'Message'), h('th', { class: 'hide-sm' }, 'Trace'))), body)));

  async function refresh() {
    setQuery('logs', state);
    const q = new URLSearchParams({ limit: '500' });
    for (const [k, v] of Object.entries(state)) if (v) q.set(k, v);
    const logs = (await api('/logs?' + q)).reverse();
    body.replaceChildren(...logs.flatMap(l => {
      const row = h('tr', { class: 'clickable log-row', onclick: () => { open.has(l.id) ? open.delete(l.id) : open.add(l.id); refresh(); } },
        h('td', { class: 'muted mono' }, fmtTime(nanosToDate(l.timeUnixNano))),
        h('td', {}, h('span', { class: 'svc', style: `background:${colorOf(l.service)}` }), l.service, l.instance && l.instance !== l.service ? h('span', { class: 'muted' }, ' ' + l.instance) : null),
        h('td', {}, badge(l.level)),
        h('td', { class: 'message' }, l.body),
        h('td', { class: 'hide-sm' }, l.traceId ? h('a', { href: '#/traces/' + l.traceId, onclick: e => e.stopPropagation() }, l.traceId.slice(0, 8)) : ''));
      if (!open.has(l.id)) return [row];
      const rows = [['Category', l.scope], ...l.attributes.map(a => [a.key, a.value])];
      if (l.traceId) rows.push(['Trace', l.traceId], ['Span', l.spanId]);
      return [row, h('tr', { class: 'details' }, h('td', { colspan: 5 }, kvTable(rows)))];
    }));
    if (!logs.length) body.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No logs match.')));
  }
  await refresh();
  const later = debounce(refresh, 500);
  return onLive(kind => { if (kind === 'logs') later(); });
}

// ---- Traces -------------------------------------------------------------------------------------------------
async function tracesPage(params) {
  const resources = await api('/resources');
  const state = { resource: params.get('resource') || '', text: params.get('text') || '', errors: params.get('errors') || '' };
  const body = h('tbody');
  main.append(h('h1', {}, 'Traces'), h('div', { class: 'toolbar' },
    select('trace-resource', [['', 'All resources'], ...resources.map(r => [r.name, r.name])], state.resource, e => { state.resource = e.target.value; refresh(); }),
    h('input', { type: 'search', id: 'trace-text', placeholder: 'Name or trace id', value: state.text, oninput: debounce(e => { state.text = e.target.value; refresh(); }, 250) }),
    h('label', {}, h('input', { type: 'checkbox', id: 'trace-errors', checked: state.errors === 'true', onchange: e => { state.errors = e.target.checked ? 'true' : ''; refresh(); } }), ' Errors only')),
  h('div', { class: 'scroll' }, h('table', { id: 'traces' }, h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Name'), h('th', {}, 'Services'), h('th', {}, 'Duration'), h('th', { class: 'hide-sm' }, 'Spans'))), body)));

  async function refresh() {
    setQuery('traces', state);
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(state)) if (v) q.set(k, v);
    const traces = await api('/traces?' + q);
    reconcile(body, traces, t => t.traceId,
      t => [t.name, t.rootService, t.errorCount, t.durationMs, t.spanCount, t.services.join(' ')].join('|'),
      t => h('tr', { class: 'clickable trace-row', 'data-trace': t.traceId, onclick: () => { location.hash = '#/traces/' + t.traceId; } },
        h('td', { class: 'muted mono' }, fmtTime(nanosToDate(t.startUnixNano))),
        h('td', {}, h('a', { href: '#/traces/' + t.traceId }, t.rootService + ': ' + t.name), t.errorCount ? [' ', badge(t.errorCount + ' error' + (t.errorCount > 1 ? 's' : ''), 'err')] : null),
        h('td', {}, t.services.map(sv => h('span', { style: 'margin-right:.5rem;white-space:nowrap' }, h('span', { class: 'svc', style: `background:${colorOf(sv)}` }), sv))),
        h('td', { class: 'mono' }, fmtMs(t.durationMs)),
        h('td', { class: 'hide-sm' }, t.spanCount)));
    if (!traces.length) body.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No traces yet.')));
  }
  await refresh();
  const later = debounce(refresh, 500);
  return onLive(kind => { if (kind === 'spans') later(); });
}

async function traceDetailPage(traceId) {
  const trace = await api('/traces/' + encodeURIComponent(traceId));
  const spans = trace.spans;
  const start = Math.min(...spans.map(x => x.startUnixNano));
  const total = Math.max(1, Math.max(...spans.map(x => x.endUnixNano)) - start);
  const byParent = new Map();
  const ids = new Set(spans.map(x => x.spanId));
  for (const span of spans) {
    const parent = ids.has(span.parentSpanId) ? span.parentSpanId : '';
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(span);
  }
  const ordered = [];
  (function walk(parent, depth) {
    for (const span of (byParent.get(parent) || []).sort((a, b) => a.startUnixNano - b.startUnixNano)) {
      ordered.push([span, depth]);
      walk(span.spanId, depth + 1);
    }
  })('', 0);

  const detail = h('div', { class: 'card', id: 'span-detail' }, h('span', { class: 'muted' }, 'Select a span to see its attributes.'));
  function show(span) {
    const rows = [['Service', span.service + (span.instance ? ` (${span.instance})` : '')], ['Span id', span.spanId], ['Kind', ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'][span.kind] ?? span.kind],
      ['Duration', fmtMs((span.endUnixNano - span.startUnixNano) / 1e6)], ['Status', ['Unset', 'Ok', 'Error'][span.status] + (span.statusMessage ? ': ' + span.statusMessage : '')],
      ['Scope', span.scope], ...span.attributes.map(a => [a.key, a.value])];
    detail.replaceChildren(...[h('h2', {}, span.name), kvTable(rows),
      span.events.length ? [h('h2', {}, 'Events'), kvTable(span.events.map(e => [fmtMs((e.timeUnixNano - start) / 1e6), e.name + ' ' + e.attributes.map(a => `${a.key}=${a.value}`).join(' ')]))] : null,
      span.links.length ? [h('h2', {}, 'Links'), kvTable(span.links.map(l => [l.traceId, l.spanId]))] : null,
      h('p', {}, h('a', { href: '#/logs?traceId=' + span.traceId }, 'Logs of this trace'))].flat().filter(Boolean));
  }

  const s0 = trace.summary;
  main.append(h('h1', {}, s0.rootService + ': ' + s0.name),
    h('p', { class: 'muted' }, `${fmtDateTime(nanosToDate(s0.startUnixNano))} · ${fmtMs(s0.durationMs)} · ${s0.spanCount} spans · `,
      s0.services.map(sv => h('span', { style: 'margin-right:.5rem' }, h('span', { class: 'svc', style: `background:${colorOf(sv)}` }), sv)),
      ' · ', h('span', { class: 'mono' }, traceId)),
    h('div', { class: 'card waterfall', id: 'waterfall' }, ordered.map(([span, depth]) => h('div', { class: 'row span-row', 'data-service': span.service, onclick: () => show(span) },
      h('div', { class: 'label', style: `padding-left:${depth * 14}px`, title: span.name },
        h('span', { class: 'svc', style: `background:${colorOf(span.service)}` }), h('span', { class: 'muted' }, span.service + ' '), span.name),
      h('div', { class: 'track' },
        h('div', { class: 'bar' + (span.status === 2 ? ' error' : ''), style: `left:${(span.startUnixNano - start) / total * 100}%;width:${(span.endUnixNano - span.startUnixNano) / total * 100}%;background:${colorOf(span.service)}` }),
        h('span', { class: 'dur' }, fmtMs((span.endUnixNano - span.startUnixNano) / 1e6)))))),
    h('h2', {}, 'Span'), detail);
}

// ---- Metrics ------------------------------------------------------------------------------------------------
async function metricsPage(params) {
  const resources = await api('/resources');
  let resource = params.get('resource') || resources.find(r => r.type === 'Telemetry')?.name || resources[0]?.name || '';
  let instrument = params.get('instrument') || '';
  const list = h('div', { class: 'list card', id: 'instruments' });
  const chart = h('div', { class: 'card', id: 'chart' });
  main.append(h('h1', {}, 'Metrics'), h('div', { class: 'toolbar' },
    select('metric-resource', resources.map(r => [r.name, r.name]), resource, e => { resource = e.target.value; instrument = ''; refresh(); })),
  h('div', { class: 'grid2' }, list, chart));

  async function refresh() {
    setQuery('metrics', { resource, instrument });
    if (!resource) { list.replaceChildren('No resources.'); return; }
    const instruments = await api('/metrics/' + encodeURIComponent(resource));
    if (!instrument && instruments.length) instrument = instruments[0].name;
    list.replaceChildren(...instruments.map(i => h('a', { href: '#', class: i.name === instrument ? 'active' : '', onclick: e => { e.preventDefault(); instrument = i.name; refresh(); } },
      i.name, h('div', { class: 'muted' }, i.kind + (i.unit ? ' · ' + i.unit : '')))));
    if (!instruments.length) { list.replaceChildren(h('span', { class: 'empty' }, 'No metrics from this resource.')); chart.replaceChildren(); return; }
    const data = await api(`/metrics/${encodeURIComponent(resource)}/${encodeURIComponent(instrument)}`);
    chart.replaceChildren(...drawChart(data));
  }
  await refresh();
  const later = debounce(refresh, 1000);
  return onLive((kind, e) => { if (kind === 'metrics' && e.resource === resource) later(); });
}

/** Gauges and sums chart their value; histograms the mean of each point (sum / count). */
function drawChart(data) {
  const info = data.instrument;
  const valueOf = p => p.kind >= 2 ? (p.count ? p.value / p.count : 0) : p.value;
  const series = data.series.map(x => ({
    label: [x.instance, ...x.attributes.map(a => `${a.key}=${a.value}`)].filter(Boolean).join(' ') || info.name,
    points: x.points.map(p => [p.timeUnixNano / 1e6, valueOf(p)]),
  })).filter(x => x.points.length);
  const header = [h('h2', {}, info.name), h('p', { class: 'muted' }, [info.description, info.kind, info.unit].filter(Boolean).join(' · '))];
  if (!series.length) return [...header, h('p', { class: 'empty' }, 'No points yet.')];
  const all = series.flatMap(x => x.points);
  const [t0, t1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  let [v0, v1] = [Math.min(0, ...all.map(p => p[1])), Math.max(...all.map(p => p[1]))];
  if (v1 === v0) v1 = v0 + 1;
  const W = 800, H = 240, L = 60, B = 20;
  const x = t => L + (t1 === t0 ? (W - L) / 2 : (t - t0) / (t1 - t0) * (W - L - 10));
  const y = v => H - B - (v - v0) / (v1 - v0) * (H - B - 10);
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': info.name + ' over time' },
    s('line', { x1: L, y1: H - B, x2: W, y2: H - B, stroke: '#ccc' }),
    s('text', { x: L - 6, y: y(v1) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#666' }, fmtNumber(v1)),
    s('text', { x: L - 6, y: y(v0) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#666' }, fmtNumber(v0)),
    s('text', { x: L, y: H - 4, 'font-size': 11, fill: '#666' }, fmtTime(new Date(t0))),
    s('text', { x: W - 4, y: H - 4, 'text-anchor': 'end', 'font-size': 11, fill: '#666' }, fmtTime(new Date(t1))));
  series.slice(0, 12).forEach((x2, i) => {
    const color = palette[i % palette.length];
    svg.append(s('polyline', { fill: 'none', stroke: color, 'stroke-width': 2, points: x2.points.map(p => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ') }));
    const last = x2.points[x2.points.length - 1];
    svg.append(s('circle', { cx: x(last[0]), cy: y(last[1]), r: 3, fill: color }));
  });
  const legend = h('div', { class: 'legend' }, series.slice(0, 12).map((x2, i) => h('span', {},
    h('span', { class: 'svc', style: `background:${palette[i % palette.length]}` }), `${x2.label}: ${fmtNumber(x2.points[x2.points.length - 1][1])}`)));
  return [...header, svg, legend];
}
const fmtNumber = v => Math.abs(v) >= 1e6 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : Number(v.toFixed(2)).toLocaleString();

window.addEventListener('hashchange', route);
connectLive();
route();
