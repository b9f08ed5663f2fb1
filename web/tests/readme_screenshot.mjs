// Takes the README's picture of the job page (docs/images/job-page.png)
// from a real run: `trainyard up` in a temporary folder, one training job
// on the local executor, the page in headless Chromium once the charts have
// points. Run through scripts/web-screenshot.sh after a build.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT, Trainyard, freePort, launchBrowser, signIn, trainingScript, waitFor } from './harness.mjs';

const output = path.join(ROOT, 'docs', 'images', 'job-page.png');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'trainyard-screenshot-'));
const trainyard = new Trainyard(dataDir, await freePort());
let browser;
try {
  await trainyard.start();
  await trainyard.submitPython('digits-mlp', trainingScript(60),
                               { experiment_name: 'digits', display_name: 'digits MLP', tags: { model: 'mlp' } });
  await trainyard.waitForStatus('digits-mlp', ['Completed'], 180000);
  browser = await launchBrowser();
  const page = await signIn(browser, trainyard.url, trainyard.token);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${trainyard.url}/#/jobs/default/default/digits-mlp`);
  const note = page.locator('figure[data-metric="loss"] .chart-note');
  await waitFor(async () => /60 points/.test(await note.textContent()), 'the loss chart', 60000);
  await page.waitForSelector('#log-lines >> text=line 59');
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  if (browser) await browser.close();
  await trainyard.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
