// The web page end to end: Debian's Chromium (headless, playwright-core)
// against `trainyard up` with real jobs on the local executor. Screenshots
// of the main pages go to $WEB_TEST_OUTPUT/screenshots.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { Trainyard, freePort, launchBrowser, signIn, trainingScript, waitFor } from './harness.mjs';

const OUTPUT = process.env.WEB_TEST_OUTPUT || path.join(process.cwd(), 'e2e-output');
const SHOTS = path.join(OUTPUT, 'screenshots');
const LONG = 120000;

describe('web page', { timeout: 800000 }, () => {
  let trainyard;
  let browser;
  let page;

  async function screenshot(name) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function openJob(name) {
    await page.goto(`${trainyard.url}/#/jobs/default/default/${name}`);
    await page.waitForSelector('#job-status');
  }

  before(async () => {
    const dataDir = path.join(OUTPUT, `data-${process.pid}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    trainyard = new Trainyard(dataDir, await freePort());
    await trainyard.start();

    await trainyard.submitPython('live-job', trainingScript(3000, { hostileText: true }),
                                 { experiment_name: 'web-e2e', tags: { suite: 'web' } });
    await trainyard.submitPython('compare-a', trainingScript(15), { experiment_name: 'web-e2e' });
    await trainyard.submitPython('compare-b', trainingScript(15), { experiment_name: 'web-e2e' });
    await trainyard.submitPython('many-metrics', 'print("metrics come from the test")');
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (trainyard) await trainyard.stop();
  });

  it('rejects a wrong token with a clear message and shows nothing', async () => {
    const context = await browser.newContext();
    const signin = await context.newPage();
    await signin.goto(trainyard.url);
    await signin.fill('#token', 'not-the-token');
    await signin.click('#signin-button');
    const error = await signin.waitForSelector('#signin-error:not([hidden])');
    assert.match(await error.textContent(), /rejected this token/);
    assert.equal(await signin.isVisible('#header'), false);
    assert.equal(await signin.locator('table').count(), 0);
    await signin.screenshot({ path: path.join(SHOTS, 'signin-error.png') });
    await context.close();
  });

  it('signs in and lists the jobs', async () => {
    page = await signIn(browser, trainyard.url, trainyard.token);
    await page.waitForSelector('tr[data-job="live-job"]');
    assert.equal(await page.locator('tr[data-job]').count(), 4);
    await page.fill('input[name="tag"]', 'suite=web');
    await page.click('form.filters button[type="submit"]');
    await waitFor(async () => (await page.locator('tr[data-job]').count()) === 1, 'the tag filter');
    assert.equal(await page.locator('tr[data-job="live-job"]').count(), 1);
    await screenshot('jobs');
  });

  it('shows a running job with live logs and charts', async () => {
    await trainyard.waitForStatus('live-job', ['Running'], LONG);
    await openJob('live-job');
    await page.waitForSelector('#job-status >> text=Running', { timeout: LONG });
    // Lines arrive while the page is open.
    await page.waitForSelector('#log-lines >> text=line 3', { timeout: LONG });
    await page.waitForSelector('#log-lines >> text=line 8', { timeout: LONG });
    // The chart fills with logged points.
    const note = page.locator('figure[data-metric="loss"] .chart-note');
    await waitFor(async () => /\b([5-9]|\d\d+) points/.test(await note.textContent()),
                  'points in the loss chart', LONG);
    assert.equal(await page.locator('figure[data-metric="loss"] canvas').count(), 1);
    await screenshot('job');
  });

  it('renders HTML from a job as text', async () => {
    const hostile = page.locator('#log-lines .text', { hasText: '<script>window.__xss = 1</script>' });
    await hostile.first().waitFor({ timeout: LONG });
    assert.equal(await page.locator('#log-lines img').count(), 0);
    assert.equal(await page.locator('#log-lines script').count(), 0);
    await page.locator('#job-params td', { hasText: '<script>window.__xss = 1</script>' })
      .first().waitFor({ timeout: LONG });
    await page.locator('#job-tags td', { hasText: '<img src=x onerror="window.__xss = 1">' })
      .first().waitFor({ timeout: LONG });
    assert.equal(await page.locator('#job-params script, #job-tags img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    // Metric names cannot carry markup: the API rejects them by name.
    const rejected = await trainyard.api('POST', `${trainyard.jobPath('live-job')}/metrics`,
                                         { name: '<b>loss</b>', value: 1, step: 0 });
    assert.equal(rejected.status, 400);
    assert.equal(rejected.body.error.field, 'name');
  });

  it('shows a 1 MB log line cut, with its length', async () => {
    // The agent may deliver the line in pieces; each piece over 10,000
    // characters is cut in the view.
    await page.locator('#log-lines .text', { hasText: 'characters; download the log to see all' })
      .first().waitFor({ timeout: LONG });
    const longest = await page.evaluate(() => Math.max(
      ...[...document.querySelectorAll('#log-lines .text')].map((line) => line.textContent.length)));
    assert.ok(longest < 20000, `a line of ${longest} characters is in the page`);
  });

  it('searches and follows the log', async () => {
    await page.fill('#log-search', 'line 2');
    await waitFor(async () => {
      const texts = await page.locator('#log-lines .text').allTextContents();
      return texts.length > 0 && texts.every((text) => text.includes('line 2'));
    }, 'the log search');
    await page.fill('#log-search', '');
  });

  it('cancels the job from the page', async () => {
    await page.click('#cancel-job');
    await page.waitForSelector('#job-status >> text=/Canceled|CancelRequested/', { timeout: LONG });
    await page.waitForSelector('#job-status >> text=Canceled', { timeout: LONG });
    assert.equal(await trainyard.jobStatus('live-job'), 'Canceled');
    assert.ok(await page.isDisabled('#cancel-job'));
  });

  it('compares two jobs in one chart', async () => {
    await trainyard.waitForStatus('compare-a', ['Completed'], LONG);
    await trainyard.waitForStatus('compare-b', ['Completed'], LONG);
    await page.goto(`${trainyard.url}/#/jobs`);
    await page.waitForSelector('tr[data-job="compare-a"]');
    await page.check('tr[data-job="compare-a"] input[type="checkbox"]');
    await page.check('tr[data-job="compare-b"] input[type="checkbox"]');
    await page.click('#compare-button');
    const legend = page.locator('figure[data-metric="loss"] .u-legend');
    await legend.waitFor({ timeout: LONG });
    const text = await legend.textContent();
    assert.match(text, /compare-a/);
    assert.match(text, /compare-b/);
    const note = await page.locator('figure[data-metric="loss"] .chart-note').textContent();
    assert.match(note, /^30 points/);
    await screenshot('compare');
  });

  it('charts a million points and lists 10,000 metric names', async () => {
    const base = `${trainyard.jobPath('many-metrics')}/metrics/batch`;
    for (let batch = 0; batch < 10; batch += 1) {
      const metrics = [];
      for (let i = 0; i < 1000; i += 1) {
        const index = batch * 1000 + i;
        metrics.push({ name: `m/${String(index).padStart(5, '0')}`, value: index, step: 0 });
      }
      assert.equal((await trainyard.api('POST', base, { metrics })).status, 200);
    }
    const pending = [];
    for (let batch = 0; batch < 1000; batch += 1) {
      const metrics = [];
      for (let i = 0; i < 1000; i += 1) {
        const step = batch * 1000 + i;
        metrics.push({ name: 'big', value: Math.sin(step / 5000) + (step === 777777 ? 10 : 0), step });
      }
      pending.push(trainyard.api('POST', base, { metrics }));
      if (pending.length === 8) {
        for (const result of await Promise.all(pending)) assert.equal(result.status, 200);
        pending.length = 0;
      }
    }
    for (const result of await Promise.all(pending)) assert.equal(result.status, 200);

    await openJob('many-metrics');
    const summary = page.locator('#metric-summary');
    await waitFor(async () => /10,001 metrics/.test(await summary.textContent()), 'the metric count', LONG);
    assert.match(await summary.textContent(), /charting 12 of 10,001/);
    await page.fill('#metric-filter', 'big');
    const note = page.locator('figure[data-metric="big"] .chart-note');
    await waitFor(async () => /1,000,000 points/.test(await note.textContent()), 'the big chart', LONG);
    const drawn = Number((await note.textContent()).match(/([\d,]+) drawn/)[1].replace(/,/g, ''));
    assert.ok(drawn > 100, `only ${drawn} points drawn`);
    assert.ok(drawn <= 4 * 1400, `${drawn} points drawn: more than 4 per pixel column`);
    // Dragging over the chart zooms in: the range is fetched again, still
    // reduced on the server. A double-click goes back to the whole series.
    const over = page.locator('figure[data-metric="big"] .u-over');
    const box = await over.boundingBox();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await waitFor(async () => /zoomed/.test(await note.textContent()), 'the zoomed chart', LONG);
    const zoomedTotal = Number((await note.textContent()).match(/^([\d,]+) points/)[1].replace(/,/g, ''));
    assert.ok(zoomedTotal > 1000, `${zoomedTotal} points in the zoomed range`);
    assert.ok(zoomedTotal < 1000000, `${zoomedTotal} points in the zoomed range`);
    await over.dblclick();
    await waitFor(async () => /^1,000,000 points[^(]*$/.test(await note.textContent()),
                  'the chart to zoom out', LONG);
    // Time on the x axis, log scale and smoothing redraw the chart.
    await page.selectOption('#chart-axis', 'time');
    await waitFor(async () => /1,000,000 points/.test(await note.textContent()), 'the time axis', LONG);
    await page.check('#chart-log');
    await page.fill('#chart-smoothing', '0.9');
    assert.equal(await page.locator('figure[data-metric="big"] canvas').count(), 1);
    await screenshot('million-points');
  });

  it('shows clusters and computes', async () => {
    await page.goto(`${trainyard.url}/#/clusters`);
    await page.waitForSelector('article[data-cluster="local"] >> text=Connected', { timeout: LONG });
    await page.waitForSelector('article[data-cluster="local"] >> text=Installed');
    await screenshot('clusters');
    await page.goto(`${trainyard.url}/#/computes`);
    await page.waitForSelector('article[data-compute="local"]', { timeout: LONG });
    await screenshot('computes');
  });

  it('says when the server goes away and recovers when it returns', async () => {
    await openJob('compare-a');
    await trainyard.stop();
    const banner = page.locator('#banner');
    await waitFor(async () => /not answering/.test(await banner.textContent()), 'the banner', LONG);
    await screenshot('server-away');
    await trainyard.start();
    await waitFor(async () => await banner.isHidden(), 'the banner to go', LONG);
    await page.waitForSelector('#job-status >> text=Completed', { timeout: LONG });
  });
});
