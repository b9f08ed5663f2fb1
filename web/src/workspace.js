// The workspace whose jobs and computes the page shows, kept across reloads.

const KEY = 'trainyard.workspace';

export function workspaceChoice() {
  const [group = 'default', workspace = 'default'] = (localStorage.getItem(KEY) || '').split('/');
  return { group: group || 'default', workspace: workspace || 'default' };
}

export function setWorkspaceChoice(group, workspace) {
  localStorage.setItem(KEY, `${group}/${workspace}`);
}
