// Runs: the live list with filters, and a run's page (timeline, model calls, recoveries, live tokens, cancel, rerun).
import { api, stream, h, fill, table, badge, ms, usd, num, time, shortId, errorBox, chat, message, json, every, TERMINAL, contentText } from './lib.js';

const STATUSES = ['pending', 'running', 'success', 'error', 'timeout', 'interrupted'];

/** Loads the caller's assistants (id -> name), for labels and filters. */
export async function assistantNames() {
  const list = await api('POST', '/assistants/search', { limit: 100 });
  return new Map(list.map(a => [a.assistant_id, a.name || a.graph_id]));
}

export function runsView(root) {
  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'any status'), STATUSES.map(v => h('option', { value: v }, v)));
  const assistant = h('select', { id: 'filter-assistant' }, h('option', { value: '' }, 'any assistant'));
  const thread = h('input', { id: 'filter-thread', placeholder: 'thread id', size: 38 });
  const since = h('input', { id: 'filter-since', type: 'datetime-local', title: 'created since (local time)' });
  const list = h('div', { id: 'runs-list' }, 'Loading…');
  const updated = h('span', { class: 'hint' });
  let names = new Map();
  assistantNames().then(map => {
    names = map;
    for (const [id, name] of map) assistant.append(h('option', { value: id }, name));
  }).catch(() => {});

  async function load() {
    const query = new URLSearchParams({ limit: '100' });
    if (status.value) query.set('status', status.value);
    if (assistant.value) query.set('assistant_id', assistant.value);
    if (/^[0-9a-f-]{36}$/i.test(thread.value.trim())) query.set('thread_id', thread.value.trim());
    if (since.value) query.set('since', new Date(since.value).toISOString());
    try {
      const { runs } = await api('GET', `/monitoring/runs?${query}`);
      fill(list, runs.length === 0 ? h('p', { class: 'empty' }, 'No runs.') : table([
        { title: 'Run', value: r => h('a', { href: `#/runs/${r.run_id}`, class: 'mono' }, shortId(r.run_id)) },
        { title: 'Status', value: r => [badge(r.status), r.parked ? badge('parked') : null] },
        { title: 'Input', class: 'wide', value: r => r.input || '' },
        { title: 'Assistant', value: r => names.get(r.assistant_id) || shortId(r.assistant_id) },
        { title: 'Thread', value: r => h('a', { href: `#/threads/${r.thread_id}`, class: 'mono' }, shortId(r.thread_id)) },
        { title: 'Created', value: r => time(r.created_at) },
        { title: 'Duration', class: 'num', value: r => ms(r.duration_ms) },
        { title: 'Steps', class: 'num', value: r => r.step_count },
        { title: 'Tokens in/out', class: 'num', value: r => `${num(r.input_tokens)} / ${num(r.output_tokens)}` },
        { title: 'Cost', class: 'num', value: r => usd(r.cost_usd) },
        { title: 'Attempts', class: 'num', value: r => r.attempt },
      ], runs, r => ({ 'data-run-id': r.run_id, class: `run-row run-${r.status}` })));
      fill(updated, `updated ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      fill(list, errorBox(error));
    }
  }

  for (const control of [status, assistant, thread, since]) control.addEventListener('change', load);
  fill(root,
    h('h1', {}, 'Runs'),
    h('div', { class: 'filters' }, status, assistant, thread, h('label', {}, 'since ', since), updated),
    list);
  return every(2000, load);
}

export function runView(root, runId) {
  const live = { controller: null, text: new Map() };
  const head = h('div', {}, 'Loading…');
  const actions = h('div', { class: 'actions' });
  const streaming = h('div', { id: 'live', class: 'live', hidden: true });
  const calls = h('div', { id: 'model-calls' });
  const timeline = h('ol', { id: 'timeline', class: 'timeline' });
  let run = null;
  let names = new Map();
  assistantNames().then(map => { names = map; }).catch(() => {});

  async function load() {
    let detail;
    try {
      detail = await api('GET', `/monitoring/runs/${runId}`);
    } catch (error) {
      fill(root, h('h1', {}, 'Run'), errorBox(error));
      stop();
      return;
    }
    const first = run === null;
    run = detail.run;
    renderHead(detail);
    renderCalls(detail.model_calls);
    renderTimeline(detail);
    if (first) renderActions(detail);
    if (!TERMINAL.includes(run.status) && !live.controller) follow();
    if (TERMINAL.includes(run.status)) { actions.querySelector('#cancel-run')?.remove(); }
  }

  function renderHead(detail) {
    const r = detail.run;
    const recoveries = detail.leases.filter(l => l.recovery).length;
    fill(head,
      h('h1', {}, 'Run ', h('span', { class: 'mono' }, r.run_id), ' ', badge(r.status, 'big'), r.parked ? badge('parked') : null),
      h('dl', { class: 'facts' },
        fact('Thread', h('a', { href: `#/threads/${r.thread_id}`, class: 'mono' }, r.thread_id)),
        fact('Assistant', h('a', { href: `#/assistants/${r.assistant_id}` }, names.get(r.assistant_id) || r.assistant_id)),
        fact('Input', r.input || ''),
        fact('Created', time(r.created_at)),
        fact('Duration', ms(r.duration_ms)),
        fact('Steps', r.step_count),
        fact('Tokens in / out', `${num(r.input_tokens)} / ${num(r.output_tokens)}`),
        fact('Cost', h('span', { id: 'run-cost' }, usd(r.cost_usd))),
        fact('Attempts', h('span', { id: 'run-attempts' }, `${r.attempt}${recoveries ? ` (${recoveries} recover${recoveries > 1 ? 'ies' : 'y'})` : ''}`)),
        fact('Lease owner', r.lease_owner || '—'),
        r.next_attempt_at ? fact('Next attempt', time(r.next_attempt_at)) : null,
        r.error ? fact('Error', h('span', { class: 'error-text' }, errorText(r.error))) : null));
  }

  function renderCalls(modelCalls) {
    fill(calls, h('h2', {}, 'Model calls'), modelCalls.length === 0 ? h('p', { class: 'empty' }, 'No model call committed yet.') : table([
      { title: 'Step', class: 'num', value: c => c.step },
      { title: 'Provider', value: c => c.provider },
      { title: 'Model', value: c => c.model },
      { title: 'Input tokens', class: 'num', value: c => num(c.input_tokens) },
      { title: 'Output tokens', class: 'num', value: c => num(c.output_tokens) },
      { title: 'Latency', class: 'num', value: c => ms(c.latency_ms) },
      { title: 'Finish reason', value: c => c.finish_reason || '' },
      { title: 'Cost', class: 'num', value: c => usd(c.cost_usd) },
    ], modelCalls, () => ({ class: 'model-call' })));
  }

  function renderTimeline(detail) {
    // Claims and events in commit order: a claim's row comes before the steps committed under its epoch.
    const items = [
      ...detail.leases.map(l => ({ at: l.claimed_at, order: 0, lease: l })),
      ...detail.events.map(e => ({ at: e.created_at, order: 1, event: e })),
    ].sort((a, b) => (new Date(a.at) - new Date(b.at)) || (a.order - b.order));
    let previous = detail.run.created_at;
    fill(timeline, items.map(item => {
      const elapsed = new Date(item.at) - new Date(previous);
      previous = item.at;
      return item.lease ? leaseItem(item.lease) : eventItem(item.event, elapsed);
    }));
  }

  function leaseItem(l) {
    const text = l.recovery
      ? `Recovered: ${l.owner || 'a worker'} took the run over${l.previous_owner ? ` from ${l.previous_owner}` : ''} at lease epoch ${l.epoch} (attempt ${l.attempt}), resuming after step ${l.step_count - 1 < 0 ? 0 : l.step_count - 1}`
      : `Claimed by ${l.owner || 'a worker'} (lease epoch ${l.epoch}, attempt ${l.attempt})`;
    return h('li', { class: `tl-item tl-lease${l.recovery ? ' tl-recovery' : ''}`, 'data-epoch': l.epoch },
      h('div', { class: 'tl-head' }, h('span', { class: 'tl-time' }, time(l.claimed_at)), h('strong', {}, text)));
  }

  function eventItem(e, elapsed) {
    const d = e.data || {};
    if (e.kind === 'status') {
      return h('li', { class: `tl-item tl-status status-${d.status}` },
        h('div', { class: 'tl-head' }, h('span', { class: 'tl-time' }, time(e.created_at)), 'Status ', badge(d.status),
          d.retry ? ` retry ${d.retry}, next attempt ${time(d.next_attempt_at)}` : ''),
        d.error ? h('div', { class: 'error-text' }, errorText(d.error)) : null);
    }
    const node = d.node || 'step';
    const parts = [];
    if (d.model_call) {
      const c = d.model_call;
      parts.push(h('div', { class: 'tl-usage' },
        `${c.provider || ''} ${c.model || ''}: ${num(c.input_tokens)} in / ${num(c.output_tokens)} out tokens, ${ms(c.latency_ms)}, finish ${c.finish_reason || '—'}`));
    }
    for (const t of d.tool_calls || []) {
      parts.push(h('div', { class: 'tl-usage' }, `tool ${t.name}: ${ms(t.latency_ms)}`));
    }
    parts.push(chat(d.messages));
    return h('li', { class: `tl-item tl-step tl-node-${node}`, 'data-step': d.step },
      h('div', { class: 'tl-head' }, h('span', { class: 'tl-time' }, time(e.created_at)),
        h('strong', {}, `Step ${d.step} · ${node}`), h('span', { class: 'tl-duration' }, ` +${ms(elapsed)}`)),
      parts);
  }

  function renderActions(detail) {
    const r = detail.run;
    const checkpoints = detail.events.filter(e => e.kind === 'step' && e.data && e.data.checkpoint_id);
    const from = h('select', { id: 'rerun-from' }, checkpoints.map(e => h('option', { value: e.data.checkpoint_id }, `after step ${e.data.step} (${e.data.node})`)));
    const input = h('input', { id: 'rerun-input', placeholder: 'new message (optional)', size: 40 });
    const status = h('span', { class: 'hint' });
    fill(actions,
      TERMINAL.includes(r.status) ? null : h('button', { id: 'cancel-run', type: 'button', onclick: async () => {
        try { await api('POST', `/threads/${r.thread_id}/runs/${r.run_id}/cancel?action=interrupt`); fill(status, 'Cancel requested.'); load(); }
        catch (error) { fill(status, errorBox(error)); }
      } }, 'Cancel run'),
      checkpoints.length === 0 ? null : h('span', { class: 'rerun' }, 'Run again from ', from, ' ', input, ' ',
        h('button', { id: 'rerun', type: 'button', onclick: async () => {
          const body = { assistant_id: r.assistant_id, checkpoint_id: from.value };
          if (input.value.trim()) body.input = { messages: [{ role: 'user', content: input.value.trim() }] };
          try {
            const created = await api('POST', `/threads/${r.thread_id}/runs`, body);
            location.hash = `#/runs/${created.run_id}`;
          } catch (error) { fill(status, errorBox(error)); }
        } }, 'Run again')),
      status);
  }

  // Follows the run live over the join stream: token chunks show as they arrive; each committed step reloads the page.
  function follow() {
    live.controller = new AbortController();
    streaming.hidden = false;
    fill(streaming, h('h2', {}, 'Live'), h('div', { class: 'hint' }, 'Streaming…'));
    const path = `/threads/${run.thread_id}/runs/${run.run_id}/stream?stream_mode=messages-tuple&stream_mode=updates`;
    stream('GET', path, undefined, (name, data) => {
      if (name === 'messages' && Array.isArray(data)) {
        const [chunk] = data;
        // Only the model's own chunks stream; a tool result arrives whole with its step (the timeline shows it).
        if (!/^(ai|AIMessageChunk)$/.test(chunk.type || '')) return;
        const id = chunk.id || 'current';
        const entry = live.text.get(id) || { content: '', calls: [] };
        entry.content += contentText(chunk.content);
        for (const call of chunk.tool_call_chunks || chunk.tool_calls || []) entry.calls.push(call);
        live.text.set(id, entry);
        fill(streaming, h('h2', {}, 'Live'), [...live.text.values()].slice(-3).map(m => message({ type: 'ai', content: m.content, tool_calls: m.calls.filter(c => c.name) })));
      } else if (name === 'updates' || name === 'error') {
        load();
      }
    }, live.controller.signal).catch(() => {}).finally(() => {
      live.controller = null;
      streaming.hidden = true;
      load();
    });
  }

  function stop() {
    if (live.controller) live.controller.abort();
  }

  fill(root, head, actions, streaming, calls, h('h2', {}, 'Timeline'), timeline);
  const polling = every(3000, () => (run && TERMINAL.includes(run.status) ? null : load()));
  return () => { polling(); stop(); };
}

function fact(name, value) { return [h('dt', {}, name), h('dd', {}, value)]; }

function errorText(error) {
  if (!error || typeof error !== 'object') return String(error || '');
  return `${error.error || 'error'}: ${error.message || ''}`;
}

export { json };
