// System: health, the caller's runs pending/running/parked, the run queue, the workers and their slots as the workers
// report them, and the providers' rate-limit state.
import { api, h, fill, table, badge, ago, num, ms, errorBox, every } from './lib.js';

export function systemView(root) {
  const body = h('div', { id: 'system' }, 'Loading…');
  fill(root, h('h1', {}, 'System'), body);

  async function load() {
    try {
      const [system, health] = await Promise.all([api('GET', '/monitoring/system'), readiness()]);
      const q = system.queue;
      fill(body,
        h('div', { class: 'cards' },
          card('Health', h('span', { id: 'health' }, badge(health.status || 'unknown', 'big'))),
          card('Runs pending', h('span', { id: 'runs-pending', class: 'big-number' }, system.runs.pending)),
          card('Runs running', h('span', { id: 'runs-running', class: 'big-number' }, system.runs.running)),
          card('Runs parked for retry', h('span', { id: 'runs-parked', class: 'big-number' }, system.runs.parked)),
          card('Queue depth', h('span', { id: 'queue-depth', class: 'big-number' }, q && q.depth !== null ? q.depth : '—'),
            q ? h('div', { class: 'hint' }, `${q.name}, ${q.consumers ?? '?'} consumer(s), read ${ago(q.reported_at)}`) : h('div', { class: 'hint' }, 'no worker has reported'))),
        health.checks ? h('p', { class: 'hint', id: 'health-checks' }, Object.entries(health.checks).map(([name, c]) => `${name}: ${c.status}`).join(' · ')) : null,
        h('h2', {}, 'Workers'),
        system.workers.length === 0 ? h('p', { class: 'empty' }, 'No worker has reported.') : table([
          { title: 'Instance', value: w => w.instance_id },
          { title: 'Host / pid', value: w => `${w.host} / ${w.process_id}` },
          { title: 'Slots', value: w => h('span', { class: 'slots', title: `${w.busy_slots} of ${w.slots} busy` },
            Array.from({ length: w.slots }, (_, i) => h('span', { class: i < w.busy_slots ? 'slot busy' : 'slot' })), ` ${w.busy_slots}/${w.slots} busy`) },
          { title: 'State', value: w => (w.stale ? badge('stale') : w.draining ? badge('draining') : badge('live')) },
          { title: 'Reported', value: w => ago(w.reported_at) },
          { title: 'Up since', value: w => ago(w.started_at) },
        ], system.workers, w => ({ class: `worker${w.stale ? ' stale' : ''}`, 'data-worker': w.instance_id })),
        h('h2', {}, 'Provider rate limits'),
        system.rate_limits.length === 0 ? h('p', { class: 'empty' }, 'No rate-limited provider has been called.') : table([
          { title: 'Provider:model', value: l => l.key },
          { title: 'Requests', value: l => (l.requests_ahead_ms > 0 ? `booked ${ms(l.requests_ahead_ms)} ahead` : 'idle') },
          { title: 'Tokens', value: l => (l.tokens_ahead_ms > 0 ? `booked ${ms(l.tokens_ahead_ms)} ahead` : 'idle') },
        ], system.rate_limits),
        h('p', { class: 'hint' }, `Runs are this tenant's; workers, the queue and rate limits are shared. Updated ${new Date().toLocaleTimeString()}. ${num(system.workers.filter(w => !w.stale).length)} live worker(s).`));
    } catch (error) {
      fill(body, errorBox(error));
    }
  }
  return every(3000, load);
}

async function readiness() {
  const response = await fetch('/health/ready', { cache: 'no-store' });
  try { return await response.json(); } catch { return { status: response.ok ? 'healthy' : 'unhealthy' }; }
}

function card(title, ...content) {
  return h('div', { class: 'card' }, h('div', { class: 'card-title' }, title), content);
}
