// Server-sent events read with fetch, because EventSource cannot send the
// Authorization header. followEvents() reconnects after the server goes
// away, once it responds again, asking for what it missed through
// `queryFor()`.

import { token } from './api.js';
import { connection } from './connection.js';

// Parses "event:" / "data:" blocks from `reader` and calls
// `onEvent(name, data)` for each; resolves when the stream ends.
async function readEvents(reader, onEvent) {
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

// Follows the event stream at `path`. `queryFor()` returns the query of the
// next connection; `onEvent(name, data)` returns true to stop following.
// Returns a function that stops following.
export function followEvents(path, queryFor, onEvent, onError = () => {}) {
  const controller = new AbortController();
  let stopped = false;
  const stop = () => {
    stopped = true;
    controller.abort();
  };

  (async () => {
    while (!stopped) {
      let finished = false;
      try {
        const query = new URLSearchParams(queryFor()).toString();
        const response = await fetch(query ? `${path}?${query}` : path, {
          headers: { Authorization: `Bearer ${token()}` },
          signal: controller.signal,
          cache: 'no-store',
        });
        connection.reportSuccess();
        if (!response.ok) {
          let message = response.statusText;
          try {
            message = (await response.json()).error.message;
          } catch {
            // Keep the status text.
          }
          onError(`${response.status}: ${message}`);
          return;
        }
        await readEvents(response.body.getReader(), (name, data) => {
          if (onEvent(name, data)) finished = true;
        });
      } catch (error) {
        if (stopped || error.name === 'AbortError') return;
        connection.reportFailure();
      }
      if (finished || stopped) return;
      // The stream ended without its last event: the server went away.
      connection.reportFailure();
      await connection.whenUp();
    }
  })();
  return stop;
}
