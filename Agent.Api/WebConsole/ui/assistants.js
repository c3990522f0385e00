// Assistants and graphs: each assistant, its config and versions, and its graph drawn from GET /assistants/{id}/graph.
import { api, h, s, fill, table, time, errorBox, json } from './lib.js';

export function assistantsView(root) {
  const list = h('div', { id: 'assistants-list' }, 'Loading…');
  fill(root, h('h1', {}, 'Assistants and graphs'), list);
  api('POST', '/assistants/search', { limit: 100 }).then(assistants => {
    fill(list, table([
      { title: 'Name', value: a => h('a', { href: `#/assistants/${a.assistant_id}` }, a.name || a.assistant_id) },
      { title: 'Graph', value: a => a.graph_id },
      { title: 'Version', class: 'num', value: a => a.version ?? '' },
      { title: 'Updated', value: a => time(a.updated_at) },
      { title: 'Config', class: 'wide', value: a => JSON.stringify(a.config || {}) },
    ], assistants));
  }).catch(error => fill(list, errorBox(error)));
}

export function assistantView(root, assistantId) {
  const head = h('div', {}, 'Loading…');
  const graph = h('div', { id: 'graph', class: 'panel' });
  const versions = h('div', { id: 'versions' });
  fill(root, head, h('h2', {}, 'Graph'), graph, h('h2', {}, 'Versions'), versions);
  api('GET', `/assistants/${assistantId}`).then(a => {
    fill(head, h('h1', {}, a.name || a.assistant_id), h('p', { class: 'hint mono' }, `${a.assistant_id} · graph ${a.graph_id} · version ${a.version ?? ''}`),
      h('h2', {}, 'Config'), json(a.config || {}), h('h2', {}, 'Metadata'), json(a.metadata || {}));
  }).catch(error => fill(head, errorBox(error)));
  api('GET', `/assistants/${assistantId}/graph`).then(g => fill(graph, drawGraph(g))).catch(error => fill(graph, errorBox(error)));
  api('POST', `/assistants/${assistantId}/versions`, { limit: 50 }).then(list => {
    fill(versions, table([
      { title: 'Version', class: 'num', value: v => v.version },
      { title: 'Name', value: v => v.name || '' },
      { title: 'Created', value: v => time(v.created_at) },
      { title: 'Config', class: 'wide', value: v => JSON.stringify(v.config || {}) },
    ], list));
  }).catch(error => fill(versions, errorBox(error)));
}

/**
 * Draws a LangGraph graph ({nodes: [{id}], edges: [{source, target, conditional}]}) top to bottom: each node's rank is
 * its longest distance from __start__ over forward edges (edges back up the ranks are drawn as curves on the side).
 */
export function drawGraph(graph) {
  const nodes = (graph.nodes || []).map(n => String(n.id));
  const edges = (graph.edges || []).map(e => ({ source: String(e.source), target: String(e.target), conditional: !!e.conditional }));
  const rank = new Map(nodes.map(n => [n, 0]));
  // Forward edges are those of a depth-first walk from __start__ that do not close a cycle.
  const forward = new Set();
  const state = new Map();
  const visit = n => {
    state.set(n, 1);
    for (const e of edges.filter(e => e.source === n)) {
      if (state.get(e.target) === 1) continue;
      forward.add(e);
      if (!state.has(e.target)) visit(e.target);
    }
    state.set(n, 2);
  };
  for (const n of nodes.includes('__start__') ? ['__start__', ...nodes] : nodes) if (!state.has(n)) visit(n);
  for (let i = 0; i < nodes.length; i++) {
    for (const e of forward) rank.set(e.target, Math.max(rank.get(e.target) || 0, (rank.get(e.source) || 0) + 1));
  }
  if (nodes.includes('__end__')) rank.set('__end__', Math.max(...rank.values()) + (edges.some(e => e.target === '__end__') ? 0 : 1));
  const rows = new Map();
  for (const n of nodes) {
    const r = rank.get(n);
    if (!rows.has(r)) rows.set(r, []);
    rows.get(r).push(n);
  }
  const boxW = 120, boxH = 40, gapY = 70, width = Math.max(360, Math.max(...[...rows.values()].map(r => r.length)) * (boxW + 60) + 120);
  const pos = new Map();
  for (const [r, row] of rows) {
    row.forEach((n, i) => pos.set(n, { x: (width / (row.length + 1)) * (i + 1), y: 30 + r * (boxH + gapY) }));
  }
  const height = 30 + (Math.max(...rows.keys()) + 1) * (boxH + gapY);
  const svg = s('svg', { class: 'graph', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'graph' },
    s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
      s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'graph-arrow' }))));
  for (const e of edges) {
    const a = pos.get(e.source), b = pos.get(e.target);
    if (!a || !b) continue;
    const down = b.y > a.y;
    const d = down
      ? `M ${a.x} ${a.y + boxH} C ${a.x} ${a.y + boxH + gapY / 2}, ${b.x} ${b.y - gapY / 2}, ${b.x} ${b.y}`
      : `M ${a.x + boxW / 2} ${a.y + boxH / 2} C ${a.x + boxW / 2 + 90} ${a.y}, ${b.x + boxW / 2 + 90} ${b.y + boxH}, ${b.x + boxW / 2} ${b.y + boxH / 2}`;
    svg.append(s('path', { d, class: `graph-edge${e.conditional ? ' conditional' : ''}`, 'marker-end': 'url(#arrow)', 'data-edge': `${e.source}->${e.target}` },
      s('title', {}, `${e.source} → ${e.target}${e.conditional ? ' (conditional)' : ''}`)));
  }
  for (const n of nodes) {
    const p = pos.get(n);
    const special = n.startsWith('__');
    svg.append(s('g', { class: `graph-node${special ? ' special' : ''}`, 'data-node': n },
      s('rect', { x: p.x - boxW / 2, y: p.y, width: boxW, height: boxH, rx: special ? 20 : 6 }),
      s('text', { x: p.x, y: p.y + boxH / 2 + 5, 'text-anchor': 'middle' }, n)));
  }
  return svg;
}
