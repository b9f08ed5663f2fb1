// Several jobs' metrics overlaid: #/compare?jobs=G/W/JOB,G/W/JOB. Jobs can
// be added by name from the chosen workspace and removed again.

import { get, jobPath, workspacePath } from '../api.js';
import { MetricCharts } from '../charts.js';
import { h, replace } from '../dom.js';
import { workspaceChoice } from '../workspace.js';
import { showError } from './common.js';

function parseJobs(text) {
  return (text || '').split(',').map((item) => item.trim()).filter(Boolean).map((item) => {
    const [group, workspace, ...rest] = item.split('/');
    return { group, workspace, name: rest.join('/') };
  }).filter((job) => job.group && job.workspace && job.name);
}

function hashFor(jobs) {
  const list = jobs.map((job) => `${job.group}/${job.workspace}/${job.name}`).join(',');
  return `#/compare?jobs=${encodeURIComponent(list)}`;
}

export function renderCompare(main, query) {
  const jobs = parseJobs(query.jobs);
  const { group, workspace } = workspaceChoice();
  const input = h('input', { id: 'compare-add', placeholder: `job name in ${group}/${workspace}`,
                             'aria-label': 'Job to add', list: 'compare-jobs' });
  const options = h('datalist', { id: 'compare-jobs' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const add = async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      await get(jobPath(group, workspace, name));
      location.hash = hashFor([...jobs, { group, workspace, name }]);
    } catch (caught) {
      error.textContent = `Cannot add job '${name}': ${caught.message}`;
      error.hidden = false;
    }
  };
  const chips = jobs.map((job, i) => h('span', { class: 'chip' }, `${job.group}/${job.workspace}/${job.name} `,
    h('button', {
      class: 'link',
      'aria-label': `remove ${job.name}`,
      onclick: () => { location.hash = hashFor(jobs.filter((_, j) => j !== i)); },
    }, '×')));
  const body = h('div');
  replace(main, h('h1', {}, 'Compare jobs'),
          h('form', { class: 'filters', onsubmit: add }, input, options,
            h('button', { type: 'submit' }, 'Add job')),
          error, h('div', { class: 'chips' }, chips), body);

  get(`${workspacePath(group, workspace)}/jobs`, { pageSize: 100 }).then((page) => {
    replace(options, page.items.map((job) => h('option', { value: job.name })));
  }).catch(() => {});

  if (jobs.length === 0) {
    replace(body, h('p', { class: 'muted' },
                    'Pick jobs on the Jobs page and press "Compare selected", or add them here.'));
    return () => {};
  }
  const charts = new MetricCharts(jobs.map((job) => ({
    label: job.name, path: jobPath(job.group, job.workspace, job.name),
  })));
  replace(body, charts.element);
  charts.start().catch((caught) => showError(body, 'metrics', caught));
  return () => charts.destroy();
}
