// The page's entry point: sign-in check, header with navigation and
// workspace choice, and the hash router (#/jobs, #/jobs/G/W/JOB, ...).

import 'uplot/dist/uPlot.min.css';
import './style.css';

import { get, listAll, setToken, token } from './api.js';
import { h, replace } from './dom.js';
import { renderSignIn } from './pages/signin.js';
import { renderClusters } from './pages/clusters.js';
import { renderComputes } from './pages/computes.js';
import { renderJobs } from './pages/jobs.js';
import { renderJob } from './pages/job.js';
import { renderCompare } from './pages/compare.js';
import { workspaceChoice, setWorkspaceChoice } from './workspace.js';

const main = document.getElementById('main');
const header = document.getElementById('header');
let cleanup = () => {};

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = hash.split('?');
  const segments = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  return { segments, query: Object.fromEntries(new URLSearchParams(queryPart)) };
}

async function renderHeader() {
  const select = h('select', {
    id: 'workspace-select',
    'aria-label': 'Workspace',
    onchange: (event) => {
      const [group, workspace] = event.target.value.split('/');
      setWorkspaceChoice(group, workspace);
      route();
    },
  });
  const links = [['#/jobs', 'Jobs'], ['#/compare', 'Compare'], ['#/clusters', 'Clusters'],
                 ['#/computes', 'Computes']];
  replace(header,
          h('a', { class: 'brand', href: '#/jobs' }, 'Trainyard'),
          h('nav', {}, links.map(([href, text]) => h('a', { href, 'data-nav': href }, text))),
          h('span', { class: 'spacer' }),
          h('label', { class: 'workspace' }, 'Workspace ', select),
          h('button', {
            class: 'link',
            onclick: () => {
              setToken('');
              location.hash = '#/signin';
            },
          }, 'Sign out'));
  header.hidden = false;

  const choice = workspaceChoice();
  try {
    const groups = await listAll('/api/v1/resourceGroups');
    const options = [];
    for (const group of groups) {
      const workspaces = await listAll(`/api/v1/resourceGroups/${encodeURIComponent(group.name)}/workspaces`);
      for (const workspace of workspaces) options.push(`${group.name}/${workspace.name}`);
    }
    if (options.length === 0) options.push(`${choice.group}/${choice.workspace}`);
    replace(select, options.map((value) => h('option', { value }, value)));
    const current = `${choice.group}/${choice.workspace}`;
    if (options.includes(current)) {
      select.value = current;
    } else {
      const [group, workspace] = options[0].split('/');
      setWorkspaceChoice(group, workspace);
      select.value = options[0];
      route();
    }
  } catch {
    // The page's own error display covers an unreachable server.
  }
}

function markNav() {
  for (const link of header.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', location.hash.startsWith(link.getAttribute('data-nav')));
  }
}

function route() {
  cleanup();
  cleanup = () => {};
  const { segments, query } = parseHash();
  if (!token() || segments[0] === 'signin') {
    header.hidden = true;
    cleanup = renderSignIn(main, async () => {
      await renderHeader();
      location.hash = '#/jobs';
      route();
    }) || (() => {});
    return;
  }
  if (header.hidden) renderHeader();
  markNav();
  const page = segments[0] || 'jobs';
  let result;
  if (page === 'clusters') result = renderClusters(main);
  else if (page === 'computes') result = renderComputes(main);
  else if (page === 'compare') result = renderCompare(main, query);
  else if (page === 'jobs' && segments.length === 4) {
    result = renderJob(main, segments[1], segments[2], segments[3]);
  } else result = renderJobs(main, query);
  cleanup = typeof result === 'function' ? result : () => {};
}

window.addEventListener('hashchange', route);
window.addEventListener('trainyard:unauthenticated', () => {
  if (!location.hash.startsWith('#/signin')) {
    setToken('');
    location.hash = '#/signin';
  }
});
// After the server comes back, redraw the open page from fresh data.
window.addEventListener('trainyard:reconnected', () => route());

// Checks a stored token once at start, so a stale one leads to sign-in.
(async () => {
  if (token()) {
    try {
      await get('/api/v1/locations');
    } catch {
      // 401 sends the page to sign-in; other errors show on the page.
    }
  }
  route();
})();
