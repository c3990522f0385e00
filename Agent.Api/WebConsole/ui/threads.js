// Threads: the list, and a thread's page (chat, runs, checkpoint tree with branches, state at any checkpoint).
import { api, h, fill, table, badge, time, shortId, errorBox, chat, json, ms, usd } from './lib.js';

export function threadsView(root) {
  const list = h('div', { id: 'threads-list' }, 'Loading…');
  fill(root, h('h1', {}, 'Threads'), list);
  api('POST', '/threads/search', { limit: 100 }).then(threads => {
    fill(list, threads.length === 0 ? h('p', { class: 'empty' }, 'No threads.') : table([
      { title: 'Thread', value: t => h('a', { href: `#/threads/${t.thread_id}`, class: 'mono' }, t.thread_id) },
      { title: 'Status', value: t => badge(t.status) },
      { title: 'Messages', class: 'num', value: t => ((t.values && t.values.messages) || []).length },
      { title: 'Updated', value: t => time(t.updated_at) },
      { title: 'Metadata', class: 'wide', value: t => JSON.stringify(t.metadata || {}) },
    ], threads));
  }).catch(error => fill(list, errorBox(error)));
}

export function threadView(root, threadId) {
  const head = h('div', {}, 'Loading…');
  const conversation = h('div', { id: 'thread-chat' });
  const runs = h('div', { id: 'thread-runs' });
  const tree = h('div', { id: 'checkpoints', class: 'checkpoint-tree' });
  const state = h('div', { id: 'checkpoint-state', class: 'panel' }, h('p', { class: 'hint' }, 'Pick a checkpoint to see the state at it.'));
  fill(root, head, h('div', { class: 'columns' },
    h('div', {}, h('h2', {}, 'Messages'), conversation, h('h2', {}, 'Runs'), runs),
    h('div', {}, h('h2', {}, 'Checkpoints'), tree, h('h2', {}, 'State at checkpoint'), state)));

  Promise.all([
    api('GET', `/threads/${threadId}`),
    api('POST', `/threads/${threadId}/history`, { limit: 1000 }),
    api('GET', `/threads/${threadId}/runs?limit=100`),
  ]).then(([thread, history, threadRuns]) => {
    fill(head, h('h1', {}, 'Thread ', h('span', { class: 'mono' }, thread.thread_id), ' ', badge(thread.status)),
      h('p', { class: 'hint' }, `created ${time(thread.created_at)}, metadata ${JSON.stringify(thread.metadata || {})}`));
    fill(conversation, chat((thread.values && thread.values.messages) || []));
    fill(runs, threadRuns.length === 0 ? h('p', { class: 'empty' }, 'No runs.') : table([
      { title: 'Run', value: r => h('a', { href: `#/runs/${r.run_id}`, class: 'mono' }, shortId(r.run_id)) },
      { title: 'Status', value: r => badge(r.status) },
      { title: 'Created', value: r => time(r.created_at) },
      { title: 'Steps', class: 'num', value: r => r.step_count ?? '' },
      { title: 'Cost', class: 'num', value: r => usd(r.cost_usd) },
    ], threadRuns));
    renderTree(history);
  }).catch(error => fill(head, errorBox(error)));

  // The history holds every checkpoint of the thread; parent links make it a tree, and a checkpoint with two
  // children is where a run from an earlier checkpoint started a branch.
  function renderTree(history) {
    const byId = new Map(history.map(s => [s.checkpoint.checkpoint_id, s]));
    const children = new Map();
    const roots = [];
    for (const s of [...history].reverse()) {
      const parent = s.parent_checkpoint && s.parent_checkpoint.checkpoint_id;
      if (parent && byId.has(parent)) {
        if (!children.has(parent)) children.set(parent, []);
        children.get(parent).push(s);
      } else {
        roots.push(s);
      }
    }
    const item = s => {
      const id = s.checkpoint.checkpoint_id;
      const kids = children.get(id) || [];
      const meta = s.metadata || {};
      return h('li', { class: kids.length > 1 ? 'branch-point' : null },
        h('button', { type: 'button', class: 'link checkpoint', 'data-checkpoint-id': id, onclick: () => showState(id) },
          `${shortId(id)} · step ${meta.step ?? '?'} · ${meta.source || ''} ${meta.writes ? Object.keys(meta.writes).join(',') : ''}`.trim()),
        h('span', { class: 'hint' }, ` ${time(s.created_at)}${meta.run_id ? ' run ' + shortId(meta.run_id) : ''}`),
        kids.length > 1 ? h('span', { class: 'badge branch' }, `${kids.length} branches`) : null,
        kids.length ? h('ul', {}, kids.map(item)) : null);
    };
    fill(tree, history.length === 0 ? h('p', { class: 'empty' }, 'No checkpoints.') : h('ul', {}, roots.map(item)));
  }

  async function showState(checkpointId) {
    try {
      const at = await api('GET', `/threads/${threadId}/state/${checkpointId}`);
      fill(state, h('p', { class: 'hint mono' }, `checkpoint ${checkpointId}, next: ${JSON.stringify(at.next || [])}`),
        chat((at.values && at.values.messages) || []), h('details', {}, h('summary', {}, 'raw state'), json(at)));
    } catch (error) {
      fill(state, errorBox(error));
    }
  }
}

export { ms };
