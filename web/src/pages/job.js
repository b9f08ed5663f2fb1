// One job: status and facts, cancel, metric charts, live logs, status
// history, per-rank state, params and tags, artifacts and the spec.

import { get, jobPath, listAll, post, request } from '../api.js';
import { MetricCharts } from '../charts.js';
import { formatBytes, formatDuration, formatTime, h, replace, saveFile, statusBadge } from '../dom.js';
import { followEvents } from '../events.js';
import { LogViewer } from '../logs.js';
import { errorText, showError, table } from './common.js';

const FINAL = new Set(['Completed', 'Failed', 'Canceled']);
// While the job runs, charts, params, tags and artifacts are fetched again
// this often.
const CHART_REFRESH_MS = 5000;

function facts(job) {
  const p = job.properties || {};
  const rows = [
    ['Display name', p.displayName],
    ['Experiment', p.experimentName],
    ['Compute', p.computeName],
    ['Status message', p.statusMessage],
    ['Created', formatTime(p.createdAt)],
    ['Started', formatTime(p.startedAt)],
    ['Ended', formatTime(p.endedAt)],
    ['Duration', formatDuration(p.startedAt, p.endedAt)],
    ['Exit code', p.exitCode ?? ''],
    ['Signal', p.signal ?? ''],
    ['Error', p.error],
  ].filter(([, value]) => value !== undefined && value !== null && value !== '');
  return h('dl', { class: 'facts', id: 'job-facts' },
           rows.map(([name, value]) => [h('dt', {}, name), h('dd', {}, String(value))]));
}

function historyTable(job) {
  const history = job.properties?.history || [];
  return table(['Time', 'Status', 'Rank', 'Message'],
               history.map((entry) => [formatTime(entry.time), statusBadge(entry.status),
                                       entry.rank ?? '', entry.message || '']),
               { id: 'job-history' });
}

function nodesTable(job) {
  const nodes = job.properties?.nodes || [];
  if (nodes.length === 0) return h('p', { class: 'muted' }, 'No rank has reported yet.');
  return table(['Rank', 'Node', 'Status', 'Exit code', 'Signal'],
               nodes.map((node) => [String(node.rank), node.node || '', statusBadge(node.status),
                                    node.exitCode ?? '', node.signal ?? '']),
               { id: 'job-nodes' });
}

function entriesTable(items, id) {
  if (items.length === 0) return h('p', { class: 'muted' }, 'None.');
  return table(['Name', 'Value'], items.map((item) => [item.name, item.value]), { id });
}

function section(title, ...content) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...content);
}

export function renderJob(main, group, workspace, name) {
  const path = jobPath(group, workspace, name);
  const header = h('div', { class: 'title-row' });
  const factsSlot = h('div');
  const historySlot = h('div');
  const nodesSlot = h('div');
  const paramsSlot = h('div');
  const artifactsSlot = h('div');
  const specSlot = h('pre', { class: 'spec', id: 'job-spec' });
  const logs = new LogViewer(path, name);
  const charts = new MetricCharts([{ label: name, path }]);
  const chartsSlot = h('div', {}, charts.element);
  let job = null;
  let cancelled = false;
  let chartTimer = null;
  let stopEvents = () => {};
  let nextSeq = 0;

  const cancelButton = h('button', {
    id: 'cancel-job',
    class: 'danger',
    onclick: async () => {
      if (!confirm(`Cancel job ${name}?`)) return;
      cancelButton.disabled = true;
      try {
        showJob(await post(`${path}/cancel`));
      } catch (error) {
        alert(`Cancel failed: ${errorText(error)}`);
        cancelButton.disabled = false;
      }
    },
  }, 'Cancel job');

  function showJob(updated) {
    // The cancel request's response can arrive after the pushed event of the
    // job's end, so a job older than the one shown must not replace it.
    if (job && typeof job.version === 'number' && typeof updated.version === 'number' &&
        updated.version < job.version) {
      return;
    }
    job = updated;
    const status = job.properties?.status;
    replace(header, h('h1', {}, `Job ${job.name} `, h('span', { id: 'job-status' }, statusBadge(status))),
            h('a', { class: 'button', href: `#/compare?jobs=${encodeURIComponent(`${group}/${workspace}/${name}`)}` },
              'Compare with…'),
            cancelButton);
    cancelButton.disabled = FINAL.has(status) || status === 'CancelRequested';
    replace(factsSlot, facts(job));
    replace(historySlot, historyTable(job));
    replace(nodesSlot, nodesTable(job));
    replace(specSlot, JSON.stringify(job.properties?.spec ?? {}, null, 2));
    if (FINAL.has(status) && chartTimer) {
      clearInterval(chartTimer);
      chartTimer = null;
      charts.refresh().catch(() => {});
      loadOutputs();
    }
  }

  async function loadOutputs() {
    try {
      const [params, tags, artifacts] = await Promise.all([
        get(`${path}/params`), get(`${path}/tags`), get(`${path}/artifacts`)]);
      if (cancelled) return;
      const specTags = Object.entries(job?.properties?.spec?.tags || {})
        .map(([tagName, value]) => ({ name: tagName, value }));
      replace(paramsSlot,
              h('h3', {}, 'Params'), entriesTable(params.items, 'job-params'),
              h('h3', {}, 'Tags'), entriesTable([...specTags, ...tags.items], 'job-tags'));
      replace(artifactsSlot, artifacts.items.length === 0 ? h('p', { class: 'muted' }, 'None yet.')
        : table(['Path', 'Size', ''], artifacts.items.map((artifact) => [
          artifact.path, formatBytes(artifact.size),
          h('button', {
            class: 'link',
            onclick: async () => {
              const blob = await request('GET', `${path}/artifacts/${artifact.path.split('/')
                .map(encodeURIComponent).join('/')}`, { blob: true });
              saveFile(artifact.path.split('/').pop(), blob);
            },
          }, 'Download')]), { id: 'job-artifacts' }));
    } catch (error) {
      if (!cancelled) showError(paramsSlot, 'params, tags and artifacts', error);
    }
  }

  replace(main, header, factsSlot,
          section('Metrics', chartsSlot),
          section('Logs', logs.element),
          section('Status history', historySlot),
          section('Ranks', nodesSlot),
          section('Params and tags', paramsSlot),
          section('Artifacts', artifactsSlot),
          section('Spec', specSlot));

  (async () => {
    try {
      showJob(await get(path));
    } catch (error) {
      showError(factsSlot, `job ${name}`, error);
      return;
    }
    loadOutputs();
    charts.start().catch((error) => showError(chartsSlot, 'metrics', error));
    if (!FINAL.has(job.properties?.status)) {
      chartTimer = setInterval(() => {
        charts.refresh().catch(() => {});
        loadOutputs();
      }, CHART_REFRESH_MS);
    }
    stopEvents = followEvents(`${path}/events`, () => ({ after: nextSeq }), (event, data) => {
      if (cancelled) return true;
      if (event === 'job') showJob(data);
      if (event === 'logs') {
        nextSeq = data.nextSeq;
        logs.append(data.lines);
      }
      if (event === 'error') showError(logs.status, 'the live log', new Error(data.message));
      return event === 'end' || event === 'error';
    }, (message) => showError(logs.output, 'the live log', new Error(message)));
  })();

  return () => {
    cancelled = true;
    stopEvents();
    if (chartTimer) clearInterval(chartTimer);
    charts.destroy();
  };
}
