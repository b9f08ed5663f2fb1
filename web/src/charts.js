// Metric charts: one uPlot chart per metric name, each run a line. Options:
// x over step or time, smoothing, log scale, zoom by dragging (the zoomed
// range is fetched again at full detail) and double-click to reset.

import uPlot from 'uplot';

import { listAll } from './api.js';
import { h, replace } from './dom.js';
import { align, fetchSeries, smooth } from './series.js';

// At most this many charts are drawn at once; the name filter picks them.
const MAX_CHARTS = 12;
const CHART_HEIGHT = 240;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563',
                '#ca8a04'];

class Chart {
  constructor(panel, name) {
    this.panel = panel;
    this.name = name;
    this.range = {};
    this.raw = [];
    this.note = h('span', { class: 'muted chart-note' });
    this.target = h('div', { class: 'chart-canvas' });
    this.element = h('figure', { class: 'chart', 'data-metric': name },
                     h('figcaption', {}, h('span', { class: 'chart-title' }, name), ' ', this.note),
                     this.target);
    this.plot = null;
  }

  width() {
    return Math.max(240, this.element.clientWidth || this.panel.width());
  }

  options(width) {
    const { axis, logScale } = this.panel.settings;
    return {
      width,
      height: CHART_HEIGHT,
      scales: { x: { time: axis === 'time' }, y: { distr: logScale ? 3 : 1 } },
      series: [{ label: axis }, ...this.panel.runs.map((run, i) => ({
        label: run.label,
        stroke: COLORS[i % COLORS.length],
        width: 1.5,
        spanGaps: true,
        points: { show: false },
      }))],
      legend: { live: true },
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: {
        setSelect: [(plot) => {
          if (plot.select.width < 2) return;
          const from = plot.posToVal(plot.select.left, 'x');
          const to = plot.posToVal(plot.select.left + plot.select.width, 'x');
          plot.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          this.range = { from, to };
          this.load();
        }],
      },
    };
  }

  // Fetches every run's series for the current range and draws them.
  async load() {
    const { axis } = this.panel.settings;
    const width = this.width();
    const results = await Promise.all(this.panel.runs.map(async (run) => {
      try {
        return await fetchSeries(run.path, this.name, { axis, buckets: Math.max(50, Math.round(width)),
                                                        ...this.range });
      } catch (error) {
        // A run without this metric contributes no line.
        if (error.status === 404) return { x: [], y: [], total: 0, downsampled: false };
        throw error;
      }
    }));
    this.raw = results;
    const total = results.reduce((sum, series) => sum + series.total, 0);
    const drawn = results.reduce((sum, series) => sum + series.x.length, 0);
    this.note.textContent = results.some((series) => series.downsampled)
      ? `${total.toLocaleString()} points, ${drawn.toLocaleString()} drawn`
      : `${total.toLocaleString()} points`;
    if (this.range.from !== undefined) this.note.textContent += ' (zoomed; double-click to reset)';
    this.draw();
  }

  draw() {
    const { smoothing, logScale } = this.panel.settings;
    const prepared = this.raw.map((series) => ({
      x: series.x,
      y: smooth(series.y, smoothing).map((value) => (logScale && value !== null && value <= 0 ? null : value)),
    }));
    const data = align(prepared);
    if (this.plot) this.plot.destroy();
    this.plot = new uPlot(this.options(this.width()), data, this.target);
    this.plot.over.addEventListener('dblclick', () => {
      this.range = {};
      this.load();
    });
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: CHART_HEIGHT });
  }

  destroy() {
    if (this.plot) this.plot.destroy();
  }
}

// Charts of the metrics of `runs` ([{label, path}], path being a job's API
// path). Call refresh() to fetch new points and destroy() when done.
export class MetricCharts {
  constructor(runs) {
    this.runs = runs;
    this.names = [];
    this.charts = [];
    this.settings = { axis: 'step', smoothing: 0, logScale: false };
    this.filter = h('input', { type: 'search', id: 'metric-filter', placeholder: 'filter metrics',
                               'aria-label': 'Filter metrics', oninput: () => this.layout() });
    const axis = h('select', { id: 'chart-axis', 'aria-label': 'X axis',
                               onchange: (event) => this.update({ axis: event.target.value }, true) },
                   h('option', { value: 'step' }, 'over step'),
                   h('option', { value: 'time' }, 'over time'));
    const smoothing = h('input', { type: 'range', id: 'chart-smoothing', min: 0, max: 0.99,
                                   step: 0.01, value: 0, 'aria-label': 'Smoothing',
                                   oninput: (event) => this.update({ smoothing: Number(event.target.value) }) });
    const logScale = h('input', { type: 'checkbox', id: 'chart-log',
                                  onchange: (event) => this.update({ logScale: event.target.checked }) });
    this.summary = h('span', { class: 'muted', id: 'metric-summary' });
    this.grid = h('div', { class: 'chart-grid', id: 'charts' });
    this.element = h('section', { class: 'metrics' },
                     h('div', { class: 'toolbar' }, this.filter, axis,
                       h('label', {}, 'Smoothing ', smoothing),
                       h('label', {}, logScale, ' Log scale'), this.summary),
                     this.grid);
    this.observer = new ResizeObserver(() => this.charts.forEach((chart) => chart.resize()));
    this.observer.observe(this.grid);
  }

  // A chart's width before it is laid out: the grid's, in one column.
  width() {
    return Math.max(240, this.grid.clientWidth);
  }

  // Reads the metric names of every run (all pages), then draws charts.
  async start() {
    const names = new Set();
    for (const run of this.runs) {
      const summaries = await listAll(`${run.path}/metrics`);
      for (const summary of summaries) names.add(summary.name);
    }
    this.names = [...names].sort();
    await this.layout();
  }

  async layout() {
    const query = this.filter.value.trim().toLowerCase();
    const matching = this.names.filter((name) => name.toLowerCase().includes(query));
    const shown = matching.slice(0, MAX_CHARTS);
    let summary = `${this.names.length.toLocaleString()} metrics`;
    if (matching.length > shown.length) {
      summary += `; charting ${shown.length} of ${matching.length.toLocaleString()} matching, ` +
                 'filter to choose others';
    }
    this.summary.textContent = summary;
    if (shown.length === this.charts.length && shown.every((name, i) => this.charts[i].name === name)) {
      return;
    }
    this.charts.forEach((chart) => chart.destroy());
    this.charts = shown.map((name) => new Chart(this, name));
    replace(this.grid, this.charts.length ? this.charts.map((chart) => chart.element)
      : h('p', { class: 'muted' }, this.names.length ? 'No metric matches the filter.'
        : 'No metrics logged yet.'));
    await Promise.all(this.charts.map((chart) => chart.load().catch((error) => {
      chart.note.textContent = `could not load: ${error.message}`;
    })));
  }

  update(changes, refetch = false) {
    Object.assign(this.settings, changes);
    for (const chart of this.charts) {
      if (refetch) {
        chart.range = {};
        chart.load();
      } else {
        chart.draw();
      }
    }
  }

  // Picks up new metric names and new points.
  async refresh() {
    const before = this.names.length;
    const names = new Set(this.names);
    for (const run of this.runs) {
      for (const summary of await listAll(`${run.path}/metrics`)) names.add(summary.name);
    }
    this.names = [...names].sort();
    if (this.names.length !== before) await this.layout();
    await Promise.all(this.charts.map((chart) => chart.load()));
  }

  destroy() {
    this.observer.disconnect();
    this.charts.forEach((chart) => chart.destroy());
  }
}
