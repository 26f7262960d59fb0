/**
 * Latency series are downsampled by time, worst-in-bucket: the span from the first to the last sample
 * is cut into `maxPoints` equal buckets and each non-empty bucket becomes one point holding, per
 * series, the largest value in it (at the time of the bucket's last sample). A spike survives; an
 * average would hide exactly the slow runs people look for. At or under `maxPoints` samples nothing
 * changes. 30 days at one run every 15 minutes (2,880 runs) becomes 480 points of ~6 runs (90 min) each.
 */

export const MAX_CHART_POINTS = 480;

/** Samples in time order: `t` in seconds, one value (or null: phase not measured) per series. */
export interface Series {
  t: number[];
  values: (number | null)[][];
}

/** Worst-in-bucket downsampling of `series` to at most `maxPoints` points (see the module comment). */
export function downsampleSeries(series: Series, maxPoints: number = MAX_CHART_POINTS): Series {
  const n = series.t.length;
  if (n <= maxPoints) return series;
  const first = series.t[0]!;
  const span = series.t[n - 1]! - first;
  const width = span / maxPoints;
  const out: Series = { t: [], values: series.values.map(() => []) };
  let bucket = -1;
  for (let i = 0; i < n; i++) {
    const t = series.t[i]!;
    const b = width > 0 ? Math.min(maxPoints - 1, Math.floor((t - first) / width)) : 0;
    if (b !== bucket) {
      bucket = b;
      out.t.push(t);
      series.values.forEach((v, s) => out.values[s]!.push(v[i] ?? null));
      continue;
    }
    const last = out.t.length - 1;
    out.t[last] = t;
    series.values.forEach((v, s) => {
      const x = v[i] ?? null;
      const col = out.values[s]!;
      const cur = col[last] ?? null;
      if (x !== null && (cur === null || x > cur)) col[last] = x;
    });
  }
  return out;
}
