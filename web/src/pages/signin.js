// Sign-in with the API token. Nothing else is shown until the server has
// accepted the token.

import { get, setToken, ApiError, NetworkError } from '../api.js';
import { h, replace } from '../dom.js';

export function renderSignIn(main, onSignedIn) {
  const input = h('input', {
    id: 'token',
    type: 'password',
    autocomplete: 'current-password',
    placeholder: 'API token',
    'aria-label': 'API token',
    required: true,
  });
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', id: 'signin-button' }, 'Sign in');

  async function submit(event) {
    event.preventDefault();
    const value = input.value.trim();
    error.hidden = true;
    if (!value) {
      error.textContent = 'Enter the API token: the contents of the admin-token file in the ' +
                          "server's data folder.";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      await get('/api/v1/locations', {}, { authToken: value });
      setToken(value);
      await onSignedIn();
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) {
        error.textContent = 'Sign-in failed: the server rejected this token. Copy the token ' +
                            "from the admin-token file in the server's data folder " +
                            '(trainyard up prints its path).';
      } else if (caught instanceof NetworkError) {
        error.textContent = `Sign-in failed: ${caught.message}.`;
      } else {
        error.textContent = `Sign-in failed: ${caught.message}`;
      }
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  replace(main,
          h('section', { class: 'signin' },
            h('h1', {}, 'Sign in to Trainyard'),
            h('form', { onsubmit: submit },
              h('label', { for: 'token' }, 'API token'),
              input,
              button),
            error,
            h('p', { class: 'hint' },
              "The token is in the admin-token file of the server's data folder, for example ",
              h('code', {}, '.trainyard/server/admin-token'), '.')));
  input.focus();
}
