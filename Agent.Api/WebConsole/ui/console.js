// The console's entry point: the key form, the navigation and the hash router (#/runs, #/runs/{id}, ...).
import { api, session, h, fill, errorBox, ApiError } from './lib.js';
import { runsView, runView } from './runs.js';
import { playgroundView } from './playground.js';
import { threadsView, threadView } from './threads.js';
import { assistantsView, assistantView } from './assistants.js';
import { costsView } from './costs.js';
import { systemView } from './system.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
let cleanup = null;

const routes = [
  [/^#\/runs\/([0-9a-f-]{36})$/i, 'runs', runView],
  [/^#\/runs$/, 'runs', runsView],
  [/^#\/threads\/([0-9a-f-]{36})$/i, 'threads', threadView],
  [/^#\/threads$/, 'threads', threadsView],
  [/^#\/assistants\/([0-9a-f-]{36})$/i, 'assistants', assistantView],
  [/^#\/assistants$/, 'assistants', assistantsView],
  [/^#\/playground$/, 'playground', playgroundView],
  [/^#\/costs$/, 'costs', costsView],
  [/^#\/system$/, 'system', systemView],
];

function loginView() {
  nav.hidden = true;
  signOut.hidden = true;
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, placeholder: 'API key', size: 48 });
  const status = h('p', { class: 'hint' }, 'The key is kept for this browser session only (sessionStorage) and sent in the x-api-key header.');
  const form = h('form', { class: 'login', id: 'login' },
    h('h1', {}, 'Sign in'),
    h('label', { for: 'api-key' }, 'API key'), input,
    h('button', { type: 'submit' }, 'Open console'), status);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    session.set(input.value.trim());
    try {
      await api('GET', '/monitoring/runs?limit=1');
      if (!location.hash || location.hash === '#/') location.hash = '#/runs';
      route();
    } catch (error) {
      session.clear();
      fill(status, errorBox(error instanceof ApiError && error.status === 401 ? 'The key was refused.' : error));
    }
  });
  fill(main, form);
  input.focus();
}

function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  if (!session.key) { loginView(); return; }
  nav.hidden = false;
  signOut.hidden = false;
  const hash = location.hash || '#/runs';
  for (const [pattern, section, view] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    for (const link of nav.querySelectorAll('a')) link.classList.toggle('active', link.dataset.section === section);
    const root = h('section', { class: `view view-${section}` });
    fill(main, root);
    try {
      cleanup = view(root, ...match.slice(1)) || null;
    } catch (error) {
      fill(root, errorBox(error));
    }
    return;
  }
  location.hash = '#/runs';
}

signOut.addEventListener('click', () => { session.clear(); location.hash = ''; route(); });
window.addEventListener('hashchange', route);
// A key refused later (revoked, another tab signed out) sends the user back to the form.
window.addEventListener('unhandledrejection', event => {
  if (event.reason instanceof ApiError && event.reason.status === 401) { session.clear(); route(); }
});
route();
