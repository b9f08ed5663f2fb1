// Real processes for the browser tests and the README screenshot. `trainyard
// up` runs a server and a local agent in a fresh data folder on a free
// loopback port. Helpers send REST calls with the admin token, submit jobs
// that print and log metrics, and drive Debian's Chromium with
// playwright-core.

import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const testDir = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(testDir, '..', '..');
export const BINARY = process.env.TRAINYARD_BIN || path.join(ROOT, 'build', 'trainyard');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Polls `predicate` until it returns a truthy value, which is returned.
export async function waitFor(predicate, description, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await sleep(100);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

// `trainyard up` in `dataDir` on `port`. start() may be called again after
// stop(): the server comes back on the same address with the same store.
export class Trainyard {
  constructor(dataDir, port) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.child = null;
    mkdirSync(dataDir, { recursive: true });
  }

  async start() {
    const readyFile = path.join(this.dataDir, 'up.json');
    const log = openSync(path.join(this.dataDir, 'up.log'), 'a');
    this.child = spawn(BINARY, ['up', '--data-dir', this.dataDir, '--listen', `127.0.0.1:${this.port}`],
                       {
                         stdio: ['ignore', log, log],
                         // `up` logs the CLI in; its config stays in the data folder.
                         env: { ...process.env, NO_PROXY: '*',
                                TRAINYARD_CONFIG: path.join(this.dataDir, 'cli-config.json') },
                       });
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.exited = exited;
    await waitFor(async () => {
      if (this.child.exitCode !== null) {
        throw new Error(`trainyard up exited with ${this.child.exitCode}; see ${this.dataDir}/up.log`);
      }
      if (!existsSync(readyFile)) return false;
      try {
        return (await fetch(`${this.url}/api/v1/health`)).ok;
      } catch {
        return false;
      }
    }, 'trainyard up to get ready', 120000);
    const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
    this.token = readFileSync(ready.tokenFile, 'utf8').trim();
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30000);
    await this.exited;
    clearTimeout(timer);
  }

  async api(method, apiPath, body, contentType = 'application/json') {
    const response = await fetch(`${this.url}${apiPath}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': contentType },
      body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
    });
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON; the caller looks at the status.
    }
    return { status: response.status, body: json, text };
  }

  jobPath(name) {
    return `/api/v1/resourceGroups/default/workspaces/default/jobs/${encodeURIComponent(name)}`;
  }

  // Submits a job that runs `script` (Python source) with Debian's python3.
  // The script travels base64-encoded so no shell quoting applies.
  async submitPython(name, script, extra = {}) {
    const encoded = Buffer.from(script).toString('base64');
    const spec = {
      name,
      command: `/usr/bin/python3 -u -c "exec(__import__('base64').b64decode('${encoded}').decode())"`,
      compute: 'local',
      ...extra,
    };
    const created = await this.api('POST', '/api/v1/resourceGroups/default/workspaces/default/jobs', spec);
    if (created.status !== 201) throw new Error(`submit ${name}: ${created.status} ${created.text}`);
    return created.body;
  }

  async jobStatus(name) {
    return (await this.api('GET', this.jobPath(name))).body?.properties?.status;
  }

  async waitForStatus(name, statuses, timeoutMs = 120000) {
    return waitFor(async () => {
      const status = await this.jobStatus(name);
      return statuses.includes(status) ? status : false;
    }, `job ${name} to reach ${statuses.join(' or ')}`, timeoutMs);
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--disable-background-networking', '--disable-component-update', '--no-first-run',
           '--no-proxy-server'],
  });
}

// Opens the page and signs in with `token`.
export async function signIn(browser, url, token) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(url);
  await page.fill('#token', token);
  await page.click('#signin-button');
  await page.waitForSelector('#header:not([hidden])');
  return page;
}

// A job script that prints a line and logs two metrics every 0.2 s until it
// is canceled or `steps` steps are done.
export function trainingScript(steps, { hostileText = false } = {}) {
  const hostile = hostileText ? `
ty.log_param("optimizer", "<script>window.__xss = 1</script>")
ty.set_tag("note", '<img src=x onerror="window.__xss = 1">')
print('<img src=x onerror="window.__xss = 1"> <script>window.__xss = 1</script>', flush=True)
print("x" * (1 << 20), flush=True)
` : '';
  return `
import time
import trainyard_client as ty
${hostile}
for i in range(${steps}):
    print(f"line {i}", flush=True)
    ty.log_metrics({"loss": 2.0 / (i + 1), "accuracy": i / (i + 10.0)}, step=i)
    if i % 5 == 0:
        ty.flush()
    time.sleep(0.2)
ty.flush()
`;
}
