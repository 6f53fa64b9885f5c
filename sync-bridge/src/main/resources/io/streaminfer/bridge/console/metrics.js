// The bridge's own Prometheus text (GET /metrics) read in the browser: per-model counters and histogram buckets, and
// rates and quantiles between two readings. This replica's traffic only; Prometheus (deploy/monitoring) sees them all.

/** Routes whose duration is a sync call's latency (a stream's duration is its length, not its latency). */
export const SYNC_ROUTES = new Set(['infer', 'grpc_infer', 'openai_embeddings']);
const ERROR_OUTCOMES = new Set(['server_error', 'timeout', 'shed']);

/** [{name, labels, value}] of the exposition format's sample lines. */
export function parse(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = brace < 0 ? line.indexOf(' ') : line.indexOf(' ', line.lastIndexOf('}'));
    const name = line.slice(0, brace < 0 ? space : brace);
    const labels = brace < 0 ? {} : parseLabels(line.slice(brace + 1, line.lastIndexOf('}')));
    samples.push({name, labels, value: Number(line.slice(space + 1).trim().split(' ')[0])});
  }
  return samples;
}

function parseLabels(s) {
  const labels = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(s)) !== null) {
    labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

/**
 * What one reading says, per model: {at, backlog, models: {name: {requests, errors, sync: {le: n}, ttft: {le: n}}}}.
 * Cumulative counts, as scraped.
 */
export function reading(samples, at) {
  const models = {};
  const model = name => (models[name] ??= {requests: 0, errors: 0, sync: {}, ttft: {}});
  let backlog = null;
  for (const s of samples) {
    switch (s.name) {
      case 'streaminfer_bridge_requests_total': {
        const m = model(s.labels.model);
        m.requests += s.value;
        if (ERROR_OUTCOMES.has(s.labels.outcome)) m.errors += s.value;
        break;
      }
      case 'streaminfer_bridge_request_duration_seconds_bucket':
        if (SYNC_ROUTES.has(s.labels.route)) add(model(s.labels.model).sync, s.labels.le, s.value);
        break;
      case 'streaminfer_bridge_time_to_first_token_seconds_bucket':
        add(model(s.labels.model).ttft, s.labels.le, s.value);
        break;
      case 'streaminfer_bridge_requests_backlog':
        backlog = s.value < 0 ? null : s.value;
        break;
      default:
    }
  }
  return {at, backlog, models};
}

function add(buckets, le, n) {
  buckets[le] = (buckets[le] ?? 0) + n;
}

/**
 * Per model between two readings: {rps, errorsPerSecond, sync: {p50, p99, n}, ttft: {p50, p99, n}} in requests
 * per second and seconds; a quantile is null when no call ended in between.
 */
export function between(before, after) {
  const seconds = (after.at - before.at) / 1000;
  const out = {};
  for (const [name, now] of Object.entries(after.models)) {
    const was = before.models[name] ?? {requests: 0, errors: 0, sync: {}, ttft: {}};
    out[name] = {
      rps: Math.max(0, now.requests - was.requests) / seconds,
      errorsPerSecond: Math.max(0, now.errors - was.errors) / seconds,
      sync: quantiles(delta(now.sync, was.sync)),
      ttft: quantiles(delta(now.ttft, was.ttft)),
    };
  }
  return out;
}

function delta(now, was) {
  const d = {};
  for (const [le, n] of Object.entries(now)) d[le] = Math.max(0, n - (was[le] ?? 0));
  return d;
}

function quantiles(buckets) {
  const sorted = Object.entries(buckets).map(([le, n]) => [le === '+Inf' ? Infinity : Number(le), n])
    .sort((a, b) => a[0] - b[0]);
  const total = sorted.length ? sorted[sorted.length - 1][1] : 0;
  return {n: total, p50: quantile(0.5, sorted, total), p99: quantile(0.99, sorted, total)};
}

/** As Prometheus's histogram_quantile: linear within the bucket the rank falls in. */
export function quantile(q, sorted, total) {
  if (!total) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [upper, cumulative] of sorted) {
    if (cumulative >= rank) {
      if (upper === Infinity) return lower;
      return lower + (upper - lower) * (cumulative === below ? 0 : (rank - below) / (cumulative - below));
    }
    lower = upper;
    below = cumulative;
  }
  return lower;
}
