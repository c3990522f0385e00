// Shared helpers of the console: DOM building (text only, never HTML strings), the API client, the SSE reader,
// formatting and small SVG charts. Every value reaches the page through textContent or setAttribute, so nothing a
// run, a thread or a model wrote is ever parsed as markup.

const KEY = 'agent-console-key';

/** The API key, kept for the browser session only (sessionStorage), never in a URL. */
export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set(key) { sessionStorage.setItem(KEY, key); },
  clear() { sessionStorage.removeItem(KEY); },
};

/** Builds an element: attributes (on* are listeners) and children (nodes or text). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Builds an SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.setAttribute('class', value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An error the API answered (its {"detail"} and status). */
export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

/** Calls the API with the session's key; answers the parsed JSON or throws ApiError. */
export async function api(method, path, body) {
  const headers = { 'x-api-key': session.key || '' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) throw new ApiError(response.status, (data && data.detail) || `HTTP ${response.status}`);
  return data;
}

/**
 * Reads a Server-Sent Events response (fetch, so the key travels in a header: EventSource cannot send one) and calls
 * onEvent(name, data, id) per event. Resolves when the server closes the stream or the signal aborts it.
 */
export async function stream(method, path, body, onEvent, signal) {
  const headers = { 'x-api-key': session.key || '', accept: 'text/event-stream' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: 'no-store' });
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message', id = null;
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') name = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
      if (data.length === 0) continue;
      let parsed;
      try { parsed = JSON.parse(data.join('\n')); } catch { parsed = data.join('\n'); }
      onEvent(name, parsed, id);
    }
  }
}

export const TERMINAL = ['success', 'error', 'timeout', 'interrupted'];

export function shortId(id) { return id ? String(id).slice(0, 8) : ''; }

export function ms(value) {
  if (value === null || value === undefined) return '';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60000)} min ${Math.round((value % 60000) / 1000)} s`;
}

export function usd(value) {
  if (value === null || value === undefined) return 'unpriced';
  const n = Number(value);
  return n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(4)}`;
}

export function num(value) { return value === null || value === undefined ? '' : Number(value).toLocaleString('en-US'); }

export function time(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function ago(value) {
  const seconds = Math.max(0, (Date.now() - new Date(value).getTime()) / 1000);
  return seconds < 60 ? `${Math.round(seconds)} s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
}

export function badge(status, extra) {
  return h('span', { class: `badge status-${status}${extra ? ' ' + extra : ''}` }, status);
}

export function json(value) { return h('pre', { class: 'json' }, JSON.stringify(value, null, 2)); }

/** Shows an error in place of a view. */
export function errorBox(error) {
  const text = error instanceof ApiError ? `${error.status}: ${error.message}` : String(error && error.message || error);
  return h('div', { class: 'error-box', role: 'alert' }, text);
}

/** The text of a LangChain message's content (a string or a list of parts). */
export function contentText(content) {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(p => (typeof p === 'string' ? p : p && p.text) || '').join('');
  return JSON.stringify(content);
}

/** Renders LangChain messages as a chat: human, ai (with tool calls), tool results. */
export function chat(messages) {
  return h('div', { class: 'chat' }, (messages || []).map(message));
}

export function message(m) {
  const type = m.type || m.role || 'message';
  const body = [];
  const text = contentText(m.content);
  if (text) body.push(long(text, type === 'tool' ? 600 : 4000));
  for (const call of m.tool_calls || []) {
    body.push(h('div', { class: 'tool-call' }, h('span', { class: 'tool-name' }, `→ ${call.name}`), ' ', h('code', {}, JSON.stringify(call.args))));
  }
  const label = type === 'tool' ? `tool ${m.name || ''}`.trim() : type;
  return h('div', { class: `msg msg-${type}` }, h('div', { class: 'msg-role' }, label), body);
}

// Long text folds into <details> so a tool result does not flood the page.
function long(text, limit) {
  if (text.length <= limit) return h('div', { class: 'msg-text' }, text);
  return h('details', { class: 'msg-text' }, h('summary', {}, `${text.slice(0, 200)}… (${num(text.length)} characters)`), h('div', {}, text));
}

/** A horizontal bar chart: rows of {label, value}, value formatted by format. */
export function barChart(title, rows, format) {
  const width = 560, bar = 22, gap = 8, labelWidth = 190;
  const max = Math.max(...rows.map(r => Number(r.value) || 0), 0) || 1;
  const height = rows.length * (bar + gap) + gap;
  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${width} ${Math.max(height, 40)}`, role: 'img', 'aria-label': title });
  rows.forEach((row, i) => {
    const y = gap + i * (bar + gap);
    const w = Math.max(1, ((Number(row.value) || 0) / max) * (width - labelWidth - 110));
    svg.append(
      s('text', { x: labelWidth - 8, y: y + bar * 0.7, 'text-anchor': 'end', class: 'chart-label' }, row.label.length > 28 ? row.label.slice(0, 27) + '…' : row.label),
      s('rect', { x: labelWidth, y, width: w, height: bar, rx: 3, class: 'chart-bar' }, s('title', {}, `${row.label}: ${format(row.value)}`)),
      s('text', { x: labelWidth + w + 6, y: y + bar * 0.7, class: 'chart-value' }, format(row.value)));
  });
  if (rows.length === 0) svg.append(s('text', { x: 10, y: 25, class: 'chart-label' }, 'No data yet.'));
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), svg);
}

/** A table from column definitions [{title, value(row) -> node|text, class}]. */
export function table(columns, rows, rowAttrs) {
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { class: c.class }, c.title)))),
    h('tbody', {}, rows.map(row => h('tr', rowAttrs ? rowAttrs(row) : {}, columns.map(c => h('td', { class: c.class }, c.value(row)))))));
}

/** Runs fn now and every period ms until the returned stop() is called; errors show in errorTarget. */
export function every(period, fn) {
  let stopped = false, timer = null;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (e) { console.warn(e); }
    if (!stopped) timer = setTimeout(tick, period);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
