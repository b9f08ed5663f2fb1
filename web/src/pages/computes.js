// Computes (attached clusters) of the chosen workspace and their instance
// types.

import { listAll, pathOf, workspacePath } from '../api.js';
import { h, replace } from '../dom.js';
import { workspaceChoice } from '../workspace.js';
import { showError, showLoading, table } from './common.js';

function quantities(resources) {
  if (!resources || Object.keys(resources).length === 0) return '';
  return Object.entries(resources).map(([name, value]) => `${name}=${value}`).join(', ');
}

async function computeCard(base, compute) {
  const properties = compute.properties || {};
  const types = await listAll(`${base}/computes/${pathOf(compute.name)}/instanceTypes`);
  return h('article', { class: 'card compute', 'data-compute': compute.name },
           h('h3', {}, compute.name),
           h('dl', { class: 'facts' },
             h('dt', {}, 'Cluster'),
             h('dd', {}, `${properties.clusterResourceGroup || ''}/${properties.clusterName || ''}`),
             h('dt', {}, 'Namespace'), h('dd', {}, properties.namespace || '')),
           h('h4', {}, 'Instance types'),
           types.length === 0 ? h('p', { class: 'muted' }, 'None.')
             : table(['Name', 'Requests', 'Limits', 'Node selector'],
                     types.map((type) => {
                       const p = type.properties || {};
                       return [type.name, quantities(p.resources?.requests),
                               quantities(p.resources?.limits), quantities(p.nodeSelector)];
                     })));
}

export function renderComputes(main) {
  const { group, workspace } = workspaceChoice();
  const body = h('div');
  replace(main, h('h1', {}, `Computes of ${group}/${workspace}`), body);
  showLoading(body, 'computes');
  let cancelled = false;
  (async () => {
    try {
      const base = workspacePath(group, workspace);
      const computes = await listAll(`${base}/computes`);
      const cards = [];
      for (const compute of computes) cards.push(await computeCard(base, compute));
      if (cancelled) return;
      replace(body, cards.length ? cards
        : h('p', { class: 'muted' }, 'No computes attached. Attach a cluster with ',
            h('code', {}, 'trainyard ml compute attach'), '.'));
    } catch (error) {
      if (!cancelled) showError(body, 'computes', error);
    }
  })();
  return () => {
    cancelled = true;
  };
}
