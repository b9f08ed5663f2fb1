// Chart data from the server's downsampling route, and the smoothing the
// chart applies on top.

import { get } from './api.js';

// Fetches one metric of one run: {x: [...], y: [...], total, downsampled}.
// Non-finite values ("NaN", "Infinity") become null, which the chart draws
// as a gap. `axis` is "step" or "time"; time is returned in seconds, the
// unit of the chart's time scale.
export async function fetchSeries(runPath, name, { axis, buckets, from, to }) {
  const data = await get(`${runPath}/metricSeries`, {
    name, x: axis, buckets,
    from: from === undefined ? undefined : Math.floor(axis === 'time' ? from * 1000 : from),
    to: to === undefined ? undefined : Math.ceil(axis === 'time' ? to * 1000 : to),
  });
  const x = axis === 'time' ? data.points.x.map((ms) => ms / 1000) : data.points.x;
  const y = data.points.y.map((value) => (typeof value === 'number' ? value : null));
  return { x, y, total: data.total, downsampled: data.downsampled };
}

// Exponential moving average with weight `weight` (0: none, 0.99: heavy),
// corrected for its start so the first points are not pulled to zero.
// Nulls stay null and do not reset the average.
export function smooth(values, weight) {
  if (!weight) return values;
  const out = new Array(values.length);
  let average = 0;
  let count = 0;
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (value === null || value === undefined) {
      out[i] = null;
      continue;
    }
    count += 1;
    average = average * weight + (1 - weight) * value;
    out[i] = average / (1 - weight ** count);
  }
  return out;
}

// Merges several series with different x values into uPlot's aligned
// layout [xs, ys1, ys2, ...], with null where a series has no point.
export function align(seriesList) {
  const xs = [...new Set(seriesList.flatMap((series) => series.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = seriesList.map((series) => {
    const column = new Array(xs.length).fill(null);
    // Several points may share an x (min and max of a bucket, or repeated
    // steps); the last one wins, which keeps the line's end right.
    series.x.forEach((x, i) => { column[index.get(x)] = series.y[i]; });
    return column;
  });
  return [xs, ...columns];
}
