// The REST API client of the page (docs/rest-api.md). Every request carries
// the token the user signed in with. A network failure is reported to the
// connection monitor, which shows the "server unreachable" banner.

import { connection } from './connection.js';

const TOKEN_KEY = 'trainyard.token';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// Thrown when the server could not be reached at all.
export class NetworkError extends Error {}

export function token() {
  return localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

// Encodes each path segment; `segments` are joined with '/'.
export function pathOf(...segments) {
  return segments.map((segment) => encodeURIComponent(segment)).join('/');
}

// Sends one request and returns the parsed JSON (or a Blob with
// `{blob: true}`). Errors: ApiError for an HTTP error, NetworkError when
// the server is unreachable.
export async function request(method, path, { query, body, blob, signal, authToken } = {}) {
  const headers = { Authorization: `Bearer ${authToken ?? token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    connection.reportFailure();
    throw new NetworkError(`cannot reach the server: ${error.message}`);
  }
  connection.reportSuccess();
  if (!response.ok) {
    let detail = {};
    try {
      detail = (await response.json()).error || {};
    } catch {
      // Not JSON (a proxy's error page): the status line is all there is.
    }
    const error = new ApiError(response.status, detail.code || `HTTP ${response.status}`,
                               detail.message || response.statusText, detail.field);
    if (response.status === 401 && authToken === undefined) window.dispatchEvent(new CustomEvent('trainyard:unauthenticated'));
    throw error;
  }
  if (blob) return response.blob();
  return response.json();
}

export const get = (path, query, options = {}) => request('GET', path, { ...options, query });
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });

// Reads every page of a list into one array, at most `max` items.
export async function listAll(path, query = {}, max = 100000) {
  const items = [];
  let pageToken;
  do {
    const page = await get(path, { ...query, pageSize: 1000, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && items.length < max);
  return items;
}

export function workspacePath(group, workspace) {
  return `/api/v1/resourceGroups/${pathOf(group)}/workspaces/${pathOf(workspace)}`;
}

export function jobPath(group, workspace, job) {
  return `${workspacePath(group, workspace)}/jobs/${pathOf(job)}`;
}
