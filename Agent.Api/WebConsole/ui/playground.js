// Playground: pick an assistant, ask, and watch the steps and tokens arrive over the run's SSE stream.
import { api, stream, h, fill, errorBox, chat, usd, num, ms, contentText } from './lib.js';

export function playgroundView(root) {
  const assistant = h('select', { id: 'playground-assistant' });
  const question = h('textarea', { id: 'playground-input', rows: 3, cols: 70, placeholder: 'Ask a question', required: true });
  const send = h('button', { id: 'playground-send', type: 'submit' }, 'Ask');
  const info = h('div', { id: 'playground-run', class: 'hint' });
  const tokens = h('div', { id: 'playground-tokens', class: 'live' });
  const steps = h('ol', { id: 'playground-steps', class: 'timeline' });
  let controller = null;

  api('POST', '/assistants/search', { limit: 100 }).then(list => {
    for (const a of list) assistant.append(h('option', { value: a.assistant_id }, `${a.name || a.graph_id} (${a.graph_id})`));
  }).catch(error => fill(info, errorBox(error)));

  const form = h('form', { id: 'playground', class: 'playground' },
    h('label', {}, 'Assistant ', assistant), question, send);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (controller) controller.abort();
    controller = new AbortController();
    send.disabled = true;
    steps.replaceChildren();
    tokens.replaceChildren();
    fill(info, 'Starting…');
    let streamed = '';
    let step = 0;
    try {
      const thread = await api('POST', '/threads', { metadata: { source: 'console-playground' } });
      const body = {
        assistant_id: assistant.value,
        input: { messages: [{ role: 'user', content: question.value }] },
        stream_mode: ['updates', 'messages-tuple', 'custom'],
      };
      await stream('POST', `/threads/${thread.thread_id}/runs/stream`, body, (name, data) => {
        if (name === 'metadata') {
          fill(info, 'Run ', h('a', { id: 'playground-run-link', href: `#/runs/${data.run_id}`, class: 'mono' }, data.run_id), ' on thread ',
            h('a', { href: `#/threads/${thread.thread_id}`, class: 'mono' }, thread.thread_id), ' — streaming…');
        } else if (name === 'messages' && Array.isArray(data)) {
          // Only the model's own chunks stream here; a tool result arrives whole with its step (in updates).
          if (!/^(ai|AIMessageChunk)$/.test(data[0].type || '')) return;
          streamed += contentText(data[0].content);
          fill(tokens, h('div', { class: 'msg msg-ai' }, h('div', { class: 'msg-role' }, 'ai (streaming)'), h('div', { class: 'msg-text' }, streamed)));
        } else if (name === 'updates') {
          for (const [node, update] of Object.entries(data)) {
            step += 1;
            streamed = '';
            tokens.replaceChildren();
            steps.append(h('li', { class: `tl-item tl-step tl-node-${node}`, 'data-node': node },
              h('div', { class: 'tl-head' }, h('strong', {}, `Step ${step} · ${node}`)), chat(update && update.messages)));
          }
        } else if (name === 'custom' && data && data.type === 'model_call') {
          steps.append(h('li', { class: 'tl-item tl-usage-item' }, h('div', { class: 'tl-usage' },
            `model call: ${data.provider || ''} ${data.model || ''}, ${num(data.input_tokens)} in / ${num(data.output_tokens)} out tokens, ${ms(data.latency_ms)}${data.cost_usd !== undefined ? ', ' + usd(data.cost_usd) : ''}`)));
        } else if (name === 'error') {
          steps.append(h('li', { class: 'tl-item tl-status status-error' }, errorBox(`${data.error || 'error'}: ${data.message || ''}`)));
        }
      }, controller.signal);
      info.append(h('span', { id: 'playground-done' }, ' Done.'));
    } catch (error) {
      if (error.name !== 'AbortError') info.append(errorBox(error));
    } finally {
      send.disabled = false;
    }
  });

  fill(root, h('h1', {}, 'Playground'), form, info, tokens, steps);
  return () => { if (controller) controller.abort(); };
}
