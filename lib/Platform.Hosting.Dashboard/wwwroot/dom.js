// Platform dashboard: DOM, fetch and formatting helpers shared by every page (loaded before app.js).
'use strict';

// ---- helpers ------------------------------------------------------------------------------------------------
/** Builds an element; children may be strings (text nodes, never HTML), nodes, arrays or null. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const svgNs = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/**
 * Keyed list update: a row whose data did not change keeps its element (and with it focus, hover and selection);
 * changed and new rows are rendered, gone rows removed, and the rest moved into order. Live updates then touch only
 * what changed instead of rebuilding every row.
 */
function reconcile(parent, items, keyOf, signatureOf, render) {
  const existing = new Map();
  for (const el of parent.children) if (el.dataset.key !== undefined) existing.set(el.dataset.key, el);
  const wanted = items.map(item => {
    const key = keyOf(item);
    const signature = signatureOf(item);
    const old = existing.get(key);
    existing.delete(key);
    if (old && old.dataset.signature === signature) return old;
    const el = render(item);
    el.dataset.key = key;
    el.dataset.signature = signature;
    return el;
  });
  for (const el of [...parent.children]) if (el.dataset.key === undefined || existing.has(el.dataset.key)) el.remove();
  wanted.forEach((el, i) => { if (parent.children[i] !== el) parent.insertBefore(el, parent.children[i] || null); });
}

async function api(path, options) {
  const response = await fetch('/api' + path, options);
  if (response.status === 401) { location.reload(); throw new Error('signed out'); }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    throw new Error(detail);
  }
  return response.status === 202 || response.status === 204 ? null : response.json();
}

function toast(text) {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 3000);
}

const nanosToDate = ns => new Date(ns / 1e6);
const fmtTime = d => d ? new Date(d).toLocaleTimeString([], { hour12: false }) : '';
const fmtDateTime = d => d ? new Date(d).toLocaleString([], { hour12: false }) : '';
const fmtMs = ms => ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms >= 1 ? ms.toFixed(1) + ' ms' : (ms * 1000).toFixed(0) + ' µs';
const palette = ['#5b3fd6', '#0f8b8d', '#d1495b', '#edae49', '#3d5a80', '#66a182', '#8e5572', '#e07a5f'];
const colors = new Map();
function colorOf(name) {
  if (!colors.has(name)) colors.set(name, palette[colors.size % palette.length]);
  return colors.get(name);
}
function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
function select(id, options, value, onchange) {
  return h('select', { id, 'aria-label': id, onchange },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}
function badge(text, cls) { return h('span', { class: 'badge ' + (cls || text || '') }, text || '—'); }
function kvTable(rows) {
  return h('table', { class: 'kv' }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'mono' }, v)))));
}
