// Pieces shared by the pages: loading and error states, tables.

import { ApiError } from '../api.js';
import { h, replace } from '../dom.js';

export function showLoading(element, what) {
  replace(element, h('p', { class: 'muted' }, `Loading ${what}…`));
}

export function errorText(error) {
  if (error instanceof ApiError) {
    const field = error.field ? ` (field ${error.field})` : '';
    return `${error.code}: ${error.message}${field}`;
  }
  return error.message || String(error);
}

export function showError(element, what, error) {
  replace(element, h('p', { class: 'error', role: 'alert' }, `Could not load ${what}: `,
                     errorText(error)));
}

// A table with a header row of `columns` and one row per item of `rows`
// (each an array of cells: strings or nodes).
export function table(columns, rows, attrs = {}) {
  return h('table', attrs,
           h('thead', {}, h('tr', {}, columns.map((column) => h('th', {}, column)))),
           h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}
