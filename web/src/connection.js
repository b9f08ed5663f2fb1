// Tracks whether the server responds. After a failed request, or a failed
// check of the health endpoint every CHECK_MS, the page shows a banner and
// polls the health endpoint until the server is back. Then it hides the
// banner and dispatches `trainyard:reconnected`, on which the open page
// reloads its data.

const RETRY_MS = 2000;
const CHECK_MS = 5000;

class Connection {
  constructor() {
    this.up = true;
    this.waiters = [];
    this.timer = null;
    // A page with nothing in flight (a finished job) still notices.
    setInterval(() => {
      if (this.up) this.check();
    }, CHECK_MS);
  }

  async check() {
    try {
      const response = await fetch('/api/v1/health', { cache: 'no-store' });
      if (response.ok) return;
    } catch {
      // Fall through: the server did not respond.
    }
    this.reportFailure();
  }

  reportFailure() {
    if (!this.up) return;
    this.up = false;
    this.showBanner();
    this.schedulePoll();
  }

  reportSuccess() {
    if (this.up) return;
    this.up = true;
    clearTimeout(this.timer);
    this.timer = null;
    const banner = document.getElementById('banner');
    banner.hidden = true;
    banner.textContent = '';
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
    window.dispatchEvent(new CustomEvent('trainyard:reconnected'));
  }

  // Resolves once the server responds again (at once when it does now).
  whenUp() {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  showBanner() {
    const banner = document.getElementById('banner');
    banner.textContent = `The server at ${location.host} is not answering. Retrying every ` +
                         `${RETRY_MS / 1000} s; the page will update when it is back.`;
    banner.hidden = false;
  }

  schedulePoll() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poll(), RETRY_MS);
  }

  async poll() {
    try {
      const response = await fetch('/api/v1/health', { cache: 'no-store' });
      if (response.ok) {
        this.reportSuccess();
        return;
      }
    } catch {
      // Still away.
    }
    this.schedulePoll();
  }
}

export const connection = new Connection();
