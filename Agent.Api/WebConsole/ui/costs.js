// Costs: tokens and USD by day, model and assistant, from GET /usage.
import { api, h, fill, table, barChart, usd, num, errorBox, shortId } from './lib.js';
import { assistantNames } from './runs.js';

export function costsView(root) {
  const days = h('select', { id: 'costs-days' }, [7, 30, 90, 365].map(d => h('option', { value: d, selected: d === 30 }, `last ${d} days`)));
  const body = h('div', { id: 'costs' }, 'Loading…');
  fill(root, h('h1', {}, 'Costs'), h('div', { class: 'filters' }, days), body);

  async function load() {
    const since = new Date(Date.now() - Number(days.value) * 86400000).toISOString();
    try {
      const [byDay, byModel, byAssistant, names] = await Promise.all([
        api('GET', `/usage?group_by=day&since=${encodeURIComponent(since)}`),
        api('GET', `/usage?group_by=provider,model&since=${encodeURIComponent(since)}`),
        api('GET', `/usage?group_by=assistant&since=${encodeURIComponent(since)}`),
        assistantNames().catch(() => new Map()),
      ]);
      const tokens = r => Number(r.input_tokens) + Number(r.output_tokens);
      const total = byDay.rows.reduce((sum, r) => ({ cost: sum.cost + Number(r.cost_usd), tokens: sum.tokens + tokens(r), calls: sum.calls + Number(r.calls) }), { cost: 0, tokens: 0, calls: 0 });
      fill(body,
        h('p', { class: 'totals', id: 'costs-total' }, `${num(total.calls)} model calls, ${num(total.tokens)} tokens, ${usd(total.cost)}`),
        h('div', { class: 'charts' },
          barChart('USD by day', byDay.rows.map(r => ({ label: r.day, value: r.cost_usd })), usd),
          barChart('Tokens by day', byDay.rows.map(r => ({ label: r.day, value: tokens(r) })), num),
          barChart('USD by model', byModel.rows.map(r => ({ label: `${r.provider}/${r.model}`, value: r.cost_usd })), usd),
          barChart('Tokens by model', byModel.rows.map(r => ({ label: `${r.provider}/${r.model}`, value: tokens(r) })), num),
          barChart('USD by assistant', byAssistant.rows.map(r => ({ label: names.get(r.assistant) || shortId(r.assistant), value: r.cost_usd })), usd),
          barChart('Tokens by assistant', byAssistant.rows.map(r => ({ label: names.get(r.assistant) || shortId(r.assistant), value: tokens(r) })), num)),
        h('h2', {}, 'By model'),
        table([
          { title: 'Provider', value: r => r.provider },
          { title: 'Model', value: r => r.model },
          { title: 'Calls', class: 'num', value: r => num(r.calls) },
          { title: 'Runs', class: 'num', value: r => num(r.runs) },
          { title: 'Input tokens', class: 'num', value: r => num(r.input_tokens) },
          { title: 'Output tokens', class: 'num', value: r => num(r.output_tokens) },
          { title: 'Avg latency', class: 'num', value: r => `${Math.round(r.avg_latency_ms)} ms` },
          { title: 'Cost', class: 'num', value: r => usd(r.cost_usd) },
          { title: 'Unpriced calls', class: 'num', value: r => num(r.unpriced_calls) },
        ], byModel.rows));
    } catch (error) {
      fill(body, errorBox(error));
    }
  }
  days.addEventListener('change', load);
  load();
}
