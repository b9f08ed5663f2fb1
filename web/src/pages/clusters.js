// Connected clusters of every resource group: agent connection, last
// heartbeat, capacity, and each extension's install state and components.

import { listAll, pathOf } from '../api.js';
import { formatAge, formatBytes, formatTime, h, replace, statusBadge } from '../dom.js';
import { showError, showLoading, table } from './common.js';

function capacitySummary(capacity) {
  const nodes = capacity?.nodes || [];
  if (nodes.length === 0) return h('span', { class: 'muted' }, 'not reported yet');
  let cpus = 0;
  let memory = 0;
  const gpus = new Map();
  for (const node of nodes) {
    cpus += Number(node.cpus || 0);
    memory += Number(node.memoryBytes || 0);
    for (const gpu of node.gpus || []) gpus.set(gpu.model, (gpus.get(gpu.model) || 0) + 1);
  }
  const gpuText = gpus.size === 0 ? 'no GPUs'
    : [...gpus].map(([model, count]) => `${count} × ${model}`).join(', ');
  return h('span', {}, `${nodes.length} node${nodes.length === 1 ? '' : 's'}, ${cpus} CPUs, ` +
           `${formatBytes(memory)} memory, ${gpuText}`);
}

function extensionSection(extension) {
  const properties = extension.properties || {};
  const statuses = properties.statuses || [];
  return h('div', { class: 'extension' },
           h('h4', {}, `Extension ${extension.name} `, statusBadge(properties.installState),
             h('span', { class: 'muted' }, ` ${properties.extensionType || ''}`)),
           statuses.length === 0 ? h('p', { class: 'muted' }, 'No component status reported yet.')
             : table(['Component', 'State', 'Message'],
                     statuses.map((status) => [status.component, statusBadge(status.state),
                                               status.message || ''])));
}

async function clusterCard(cluster) {
  const properties = cluster.properties || {};
  const extensions = await listAll(
    `/api/v1/resourceGroups/${pathOf(cluster.resourceGroup)}/connectedClusters/` +
    `${pathOf(cluster.name)}/extensions`);
  return h('article', { class: 'card cluster', 'data-cluster': cluster.name },
           h('h3', {}, cluster.name, ' ', statusBadge(properties.connectivityStatus)),
           h('dl', { class: 'facts' },
             h('dt', {}, 'Resource group'), h('dd', {}, cluster.resourceGroup),
             h('dt', {}, 'Kind'), h('dd', {}, properties.kind || ''),
             h('dt', {}, 'Location'), h('dd', {}, cluster.location || ''),
             h('dt', {}, 'Last heartbeat'),
             h('dd', { title: formatTime(properties.lastHeartbeat) },
               formatAge(properties.lastHeartbeat)),
             h('dt', {}, 'Agent'), h('dd', {}, properties.agentVersion || ''),
             h('dt', {}, 'Capacity'), h('dd', {}, capacitySummary(properties.capacity))),
           extensions.length === 0 ? h('p', { class: 'muted' }, 'No extensions installed.')
             : extensions.map(extensionSection));
}

const REFRESH_MS = 15000;

export function renderClusters(main) {
  const body = h('div');
  replace(main, h('h1', {}, 'Clusters'), body);
  showLoading(body, 'clusters');
  let cancelled = false;
  async function load() {
    try {
      const groups = await listAll('/api/v1/resourceGroups');
      const cards = [];
      for (const group of groups) {
        const clusters = await listAll(`/api/v1/resourceGroups/${pathOf(group.name)}/connectedClusters`);
        for (const cluster of clusters) cards.push(await clusterCard(cluster));
      }
      if (cancelled) return;
      replace(body, cards.length ? cards
        : h('p', { class: 'muted' }, 'No clusters yet. Register one with ',
            h('code', {}, 'trainyard connectedk8s connect'), ' or start ',
            h('code', {}, 'trainyard up'), '.'));
    } catch (error) {
      if (!cancelled) showError(body, 'clusters', error);
    }
  }
  load();
  // Heartbeats and install states change on their own; a reload every
  // REFRESH_MS keeps the page current.
  const timer = setInterval(load, REFRESH_MS);
  return () => {
    cancelled = true;
    clearInterval(timer);
  };
}
