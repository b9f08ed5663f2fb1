// The jobs of the chosen workspace: server-side paging, filters by status,
// experiment, compute and tag, newest or oldest first, and live status
// updates from the workspace's event stream.

import { get, workspacePath } from '../api.js';
import { formatDuration, formatTime, h, replace, statusBadge } from '../dom.js';
import { followEvents } from '../events.js';
import { workspaceChoice } from '../workspace.js';
import { showError, showLoading } from './common.js';

const PAGE_SIZE = 50;
const STATUSES = ['NotStarted', 'Queued', 'Preparing', 'Starting', 'Running', 'Finalizing',
                  'CancelRequested', 'Completed', 'Failed', 'Canceled'];

function jobHref(job) {
  return `#/jobs/${encodeURIComponent(job.resourceGroup)}/${encodeURIComponent(job.workspace)}/` +
         `${encodeURIComponent(job.name)}`;
}

function filterForm(query, onApply) {
  const status = h('select', { name: 'status', 'aria-label': 'Status' },
                   h('option', { value: '' }, 'any status'),
                   STATUSES.map((name) => h('option', { value: name, selected: query.status === name }, name)));
  const field = (name, placeholder) =>
    h('input', { name, placeholder, value: query[name] || '', 'aria-label': placeholder });
  const experiment = field('experiment', 'experiment');
  const compute = field('compute', 'compute');
  const tag = field('tag', 'tag (name or name=value)');
  const order = h('select', { name: 'order', 'aria-label': 'Order' },
                  h('option', { value: 'newest', selected: query.order !== 'oldest' }, 'newest first'),
                  h('option', { value: 'oldest', selected: query.order === 'oldest' }, 'oldest first'));
  return h('form', {
    class: 'filters',
    onsubmit: (event) => {
      event.preventDefault();
      onApply({ status: status.value, experiment: experiment.value.trim(),
                compute: compute.value.trim(), tag: tag.value.trim(), order: order.value });
    },
  }, status, experiment, compute, tag, order, h('button', { type: 'submit' }, 'Filter'));
}

function jobRow(job, selected, onSelect) {
  const p = job.properties || {};
  return h('tr', { 'data-job': job.name },
           h('td', {}, h('input', {
             type: 'checkbox',
             'aria-label': `select ${job.name}`,
             checked: selected.has(job.name),
             onchange: (event) => onSelect(job, event.target.checked),
           })),
           h('td', {}, h('a', { href: jobHref(job) }, job.name)),
           h('td', {}, p.displayName && p.displayName !== job.name ? p.displayName : ''),
           h('td', { class: 'job-status' }, statusBadge(p.status)),
           h('td', {}, p.experimentName || ''),
           h('td', {}, p.computeName || ''),
           h('td', {}, formatTime(p.createdAt)),
           h('td', { class: 'job-duration' }, formatDuration(p.startedAt, p.endedAt)));
}

export function renderJobs(main, query) {
  const { group, workspace } = workspaceChoice();
  const base = workspacePath(group, workspace);
  const selected = new Map();
  const tokens = [''];  // page tokens of the pages visited, for "Previous"
  let pageIndex = 0;
  let rows = new Map();  // job name -> {row, version}
  let stopEvents = () => {};
  let cancelled = false;

  const compare = h('button', {
    id: 'compare-button',
    disabled: true,
    onclick: () => {
      const list = [...selected.values()].map((job) => `${job.resourceGroup}/${job.workspace}/${job.name}`);
      location.hash = `#/compare?jobs=${encodeURIComponent(list.join(','))}`;
    },
  }, 'Compare selected');
  const onSelect = (job, on) => {
    if (on) selected.set(job.name, job);
    else selected.delete(job.name);
    compare.disabled = selected.size < 1;
    compare.textContent = selected.size ? `Compare selected (${selected.size})` : 'Compare selected';
  };

  const body = h('div', { id: 'jobs-body' });
  const pager = h('div', { class: 'pager' });
  replace(main,
          h('div', { class: 'title-row' }, h('h1', {}, `Jobs of ${group}/${workspace}`), compare),
          filterForm(query, (filters) => {
            const params = new URLSearchParams();
            for (const [key, value] of Object.entries(filters)) {
              if (value && !(key === 'order' && value === 'newest')) params.set(key, value);
            }
            location.hash = `#/jobs?${params}`;
          }),
          body, pager);

  async function load() {
    showLoading(body, 'jobs');
    try {
      const page = await get(`${base}/jobs`, {
        status: query.status, experiment: query.experiment, compute: query.compute,
        tag: query.tag, order: query.order, pageSize: PAGE_SIZE, pageToken: tokens[pageIndex],
      });
      if (cancelled) return;
      rows = new Map();
      const tbody = h('tbody');
      for (const job of page.items) {
        const row = jobRow(job, selected, onSelect);
        rows.set(job.name, { row, version: job.version });
        tbody.appendChild(row);
      }
      replace(body, page.items.length === 0
        ? h('p', { class: 'muted' }, 'No jobs match. Submit one with ',
            h('code', {}, 'trainyard ml job create --file job.yml'), '.')
        : h('table', { class: 'jobs' },
            h('thead', {}, h('tr', {}, ['', 'Name', 'Display name', 'Status', 'Experiment',
                                        'Compute', 'Created', 'Duration'].map((c) => h('th', {}, c)))),
            tbody));
      tokens[pageIndex + 1] = page.nextPageToken;
      replace(pager,
              h('button', { disabled: pageIndex === 0, onclick: () => { pageIndex -= 1; load(); } },
                'Previous'),
              h('span', {}, ` Page ${pageIndex + 1} `),
              h('button', {
                id: 'next-page',
                disabled: !page.nextPageToken,
                onclick: () => { pageIndex += 1; load(); },
              }, 'Next'));
    } catch (error) {
      if (!cancelled) showError(body, 'jobs', error);
    }
  }

  // Status changes of the jobs on this page replace their rows in place.
  let since = Date.now();
  stopEvents = followEvents(`${base}/jobEvents`, () => ({ since }), (name, data) => {
    if (name !== 'jobs') return false;
    since = data.since;
    for (const job of data.items) {
      const shown = rows.get(job.name);
      if (!shown || shown.version >= job.version) continue;
      const row = jobRow(job, selected, onSelect);
      shown.row.replaceWith(row);
      rows.set(job.name, { row, version: job.version });
    }
    return false;
  });

  load();
  return () => {
    cancelled = true;
    stopEvents();
  };
}
