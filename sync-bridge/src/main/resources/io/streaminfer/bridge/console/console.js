// The console: the bridge's state, its models, live charts per model, a playground and the jobs changed last. It
// reads the bridge's own APIs only (same origin), sending the token from the field at the top when there is one.
import {between, parse, reading} from './metrics.js';
import {lineChart} from './charts.js';

const POLL_MS = 2000;
const WINDOW_MS = 5 * 60 * 1000;
const TOKEN_KEY = 'streaminfer.console.token';
const TRACE_KEY = 'streaminfer.console.trace-url';
const DEFAULT_TRACE_URL = 'http://localhost:9411/zipkin/traces/{trace_id}';
const SAMPLE_TEXT = {question: 'How do we create more jobs?', text_input: 'The state of the union is'};

const $ = id => document.getElementById(id);
const state = {
  models: [],
  readings: [],
  /** model -> [{t, rps, errors, p50, p99, ttft50, ttft99}] */
  series: new Map(),
  /** shown id -> whole id, for this page's own requests */
  ownIds: new Map(),
  abort: null,
  /** The last API call was refused for its token (the notice says so until one gets in). */
  tokenRefused: false,
};

// ------------------------------------------------------------------------------------------------ HTTP

function headers(extra = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? {...extra, Authorization: `Bearer ${token}`} : extra;
}

/** fetch with the token; says on the page when the token is missing or refused. */
async function api(path, options = {}) {
  const response = await fetch(path, {...options, headers: headers(options.headers)});
  if (response.status === 401 || response.status === 403) {
    state.tokenRefused = true;
    notice(response.status === 401 ? 'This bridge wants an API token: enter it at the top right.'
      : 'The bridge does not accept this token.');
  } else if (response.ok && state.tokenRefused) {
    // A call that was in flight before the token was saved may have said so after the save: this one got in.
    state.tokenRefused = false;
    notice(null);
  }
  return response;
}

async function json(path, options) {
  const response = await api(path, options);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function notice(text) {
  const n = $('notice');
  n.textContent = text ?? '';
  n.hidden = !text;
}

/** Server-sent events of a fetch response: onEvent({event, data, id}) per event. */
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = {event: 'message', data: [], id: null};
  for (;;) {
    const {value, done} = await reader.read();
    if (done) return;
    buffer += value;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (event.data.length) onEvent({event: event.event, data: event.data.join('\n'), id: event.id});
        event = {event: 'message', data: [], id: null};
      } else if (line.startsWith('data:')) {
        event.data.push(line.slice(5).replace(/^ /, ''));
      } else if (line.startsWith('event:')) {
        event.event = line.slice(6).trim();
      } else if (line.startsWith('id:')) {
        event.id = line.slice(3).trim();
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------ state of the stack

async function refreshReadiness() {
  const b = $('st-bridge');
  const j = $('st-job');
  try {
    const r = await (await fetch('/v2/health/ready')).json();
    b.textContent = r.ready ? 'ready' : `not ready: ${r.reason}`;
    b.dataset.state = r.ready ? 'ok' : 'bad';
    // pipeline_job is there only while the job does not run (restarting, starting, gone).
    j.textContent = r.pipeline_job ?? (r.ready ? 'running' : 'unknown');
    j.dataset.state = r.pipeline_job ? 'bad' : r.ready ? 'ok' : 'unknown';
  } catch (e) {
    b.textContent = 'unreachable';
    b.dataset.state = 'bad';
  }
}

async function refreshMetrics() {
  const text = await (await fetch('/metrics')).text();
  const now = Date.now();
  const r = reading(parse(text), now);
  $('st-backlog').textContent = r.backlog === null ? 'unknown' : String(r.backlog);
  const before = state.readings[state.readings.length - 1];
  state.readings = [...state.readings.slice(-1), r];
  if (!before) return;
  for (const [model, m] of Object.entries(between(before, r))) {
    const points = state.series.get(model) ?? [];
    points.push({t: now, rps: m.rps, errors: m.errorsPerSecond, p50: m.sync.p50, p99: m.sync.p99,
      ttft50: m.ttft.p50, ttft99: m.ttft.p99});
    state.series.set(model, points.filter(p => p.t >= now - WINDOW_MS));
  }
  renderLive(now);
}

// ------------------------------------------------------------------------------------------------ models

async function loadModels() {
  const [{models}, index] = await Promise.all([json('/console/api/models'),
    json('/v2/repository/index', {method: 'POST', body: '{}', headers: {'Content-Type': 'application/json'}})]);
  state.models = models;
  const states = new Map(index.map(v => [v.name, v]));
  const body = $('models').tBodies[0];
  body.replaceChildren(...models.map(m => {
    const s = states.get(m.name);
    return row([m.name, m.kind, m.versions.join(', '), s ? s.state : '?', m.description ?? ''],
      {'data-model': m.name, title: s && s.reason ? s.reason : ''});
  }));
  const select = $('pg-model');
  const chosen = select.value;
  select.replaceChildren(...models.map(m => option(m.name, `${m.name} (${m.kind})`)));
  if (chosen) select.value = chosen;
  choose();
  renderLive(Date.now());
}

async function refreshModelStates() {
  const index = await json('/v2/repository/index', {method: 'POST', body: '{}',
    headers: {'Content-Type': 'application/json'}});
  for (const v of index) {
    const tr = $('models').querySelector(`tr[data-model="${CSS.escape(v.name)}"]`);
    if (tr) tr.cells[3].textContent = v.state;
  }
}

function row(cells, attrs = {}) {
  const tr = document.createElement('tr');
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c;
    tr.appendChild(td);
  }
  return tr;
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

// ------------------------------------------------------------------------------------------------ live charts

function renderLive(now) {
  const live = $('live');
  for (const m of state.models) {
    let card = live.querySelector(`[data-model="${CSS.escape(m.name)}"]`);
    if (!card) {
      card = document.createElement('div');
      card.className = 'card';
      card.dataset.model = m.name;
      const h = document.createElement('h3');
      h.textContent = m.name;
      const figures = document.createElement('p');
      figures.className = 'figures';
      card.append(h, figures, chartBox('throughput (calls/s, errors/s)', 'rps'),
        chartBox(m.kind === 'generative' ? 'time to first token (ms)' : 'sync latency (ms)', 'latency'));
      live.appendChild(card);
    }
    const points = state.series.get(m.name) ?? [];
    const generative = m.kind === 'generative';
    const ms = v => v === null || v === undefined ? null : v * 1000;
    lineChart(card.querySelector('svg.rps'), [
      {cls: 'a', points: points.map(p => [p.t, p.rps])},
      {cls: 'bad', points: points.map(p => [p.t, p.errors])},
    ], {windowMs: WINDOW_MS, now, format: v => v.toFixed(v < 10 ? 1 : 0)});
    lineChart(card.querySelector('svg.latency'), [
      {cls: 'a', points: points.map(p => [p.t, ms(generative ? p.ttft50 : p.p50)])},
      {cls: 'b', points: points.map(p => [p.t, ms(generative ? p.ttft99 : p.p99)])},
    ], {windowMs: WINDOW_MS, now, format: v => v.toFixed(v < 10 ? 1 : 0)});
    const last = points[points.length - 1];
    const p99 = last ? ms(generative ? last.ttft99 : last.p99) : null;
    card.dataset.rps = last ? last.rps.toFixed(3) : '0';
    card.querySelector('.figures').textContent = last
      ? `${last.rps.toFixed(2)} calls/s · p99 ${p99 === null ? '–' : p99.toFixed(0) + ' ms'}` : 'no reading yet';
  }
}

function chartBox(title, cls) {
  const figure = document.createElement('figure');
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', cls);
  figure.append(caption, svg);
  return figure;
}

// ------------------------------------------------------------------------------------------------ recent jobs

async function refreshJobs() {
  const {jobs, known} = await json('/console/api/jobs?limit=25');
  $('st-jobs').textContent = String(known);
  const template = localStorage.getItem(TRACE_KEY) || DEFAULT_TRACE_URL;
  $('jobs').tBodies[0].replaceChildren(...jobs.map(j => {
    const whole = j.id_complete ? j.id_shown : state.ownIds.get(j.id_shown);
    const id = document.createElement('code');
    id.textContent = whole ?? `${j.id_shown}…`;
    const st = document.createElement('span');
    st.className = `state ${j.state}`;
    st.textContent = j.state + (j.error_code ? ` ${j.error_code}` : '') + (j.step ? ` (${j.step})` : '');
    if (j.reason) st.title = j.reason;
    return row([id, j.kind, j.model ?? '', st, time(j.updated_at), traceLink(j, template)],
      {'data-state': j.state, 'data-model': j.model ?? ''});
  }));
}

/** A link to the job's trace in the trace viewer when its status carries a trace ID, else "no trace". */
function traceLink(job, template) {
  if (!job.trace_id) {
    const s = document.createElement('span');
    s.className = 'hint';
    s.textContent = 'no trace';
    return s;
  }
  const a = document.createElement('a');
  a.href = template.replace('{trace_id}', encodeURIComponent(job.trace_id));
  a.target = '_blank';
  a.rel = 'noopener';
  a.textContent = job.trace_id.slice(0, 12) + '…';
  return a;
}

function time(epochMs) {
  return epochMs ? new Date(epochMs).toLocaleTimeString() : '';
}

function remember(id) {
  if (id) state.ownIds.set(id.slice(0, 12), id);
}

// ------------------------------------------------------------------------------------------------ playground

function model() {
  return state.models.find(m => m.name === $('pg-model').value);
}

/** Shows the inputs of the model chosen: a prompt for a generative one, one field per input otherwise. */
function choose() {
  const m = model();
  if (!m) return;
  const generative = m.kind === 'generative';
  $('pg-kind').textContent = m.description ?? '';
  $('pg-generation').hidden = !generative;
  $('pg-send').textContent = generative ? 'Stream' : 'Send';
  const inputs = $('pg-inputs');
  inputs.replaceChildren(...m.inputs.map(t => {
    const div = document.createElement('div');
    div.className = 'row';
    const label = document.createElement('label');
    label.textContent = generative ? 'prompt' : `${t.name} (${t.datatype} [${t.shape.join(', ')}])`;
    const area = document.createElement('textarea');
    area.dataset.input = t.name;
    area.rows = t.datatype === 'BYTES' ? 2 : 3;
    if (t.datatype === 'BYTES') {
      area.value = SAMPLE_TEXT[t.name] ?? 'A man is eating food.';
    } else {
      area.placeholder = 'a JSON array of one row; empty: zeros';
      const size = rowSize(t.shape);
      if (size <= 64) area.value = JSON.stringify(new Array(size).fill(0.5));
    }
    label.htmlFor = area.id = `pg-input-${t.name}`;
    div.append(label, area);
    return div;
  }));
}

function rowSize(shape) {
  return shape.slice(1).reduce((a, d) => a * Math.max(1, d), 1);
}

/** The OIP request of one row from the fields. */
function oipRequest(m) {
  return {
    inputs: m.inputs.map(t => {
      const value = document.querySelector(`[data-input="${CSS.escape(t.name)}"]`).value;
      if (t.datatype === 'BYTES') return {name: t.name, shape: [1], datatype: 'BYTES', data: [value]};
      const data = value.trim() ? JSON.parse(value).flat(Infinity) : new Array(rowSize(t.shape)).fill(0);
      return {name: t.name, shape: [1, ...t.shape.slice(1).map(d => Math.max(1, d))], datatype: t.datatype, data};
    }),
  };
}

function generationBody(m) {
  return {
    model: m.name,
    prompt: document.querySelector('[data-input="text_input"]').value,
    max_tokens: Number($('pg-max-tokens').value),
    temperature: Number($('pg-temperature').value),
  };
}

const out = {
  start() {
    const o = $('pg-output');
    o.textContent = '';
    o.dataset.state = 'running';
    o.dataset.chunks = '0';
    $('pg-stop').disabled = false;
    this.t0 = performance.now();
    this.first = null;
  },
  chunk(text) {
    const o = $('pg-output');
    if (this.first === null) this.first = performance.now() - this.t0;
    o.append(document.createTextNode(text));
    o.dataset.chunks = String(Number(o.dataset.chunks) + 1);
    const n = Number(o.dataset.chunks);
    $('pg-stats').textContent = `${n} chunk(s) · first after ${this.first.toFixed(0)} ms`;
  },
  say(text) {
    $('pg-stats').textContent = text;
  },
  end(outcome) {
    $('pg-output').dataset.state = outcome;
    $('pg-stop').disabled = true;
    state.abort = null;
    const ms = (performance.now() - this.t0).toFixed(0);
    const n = Number($('pg-output').dataset.chunks);
    $('pg-stats').textContent = `${outcome} in ${ms} ms` + (n ? ` · ${n} chunk(s), first after `
      + `${this.first.toFixed(0)} ms` : '');
  },
};

/** The sync call: OIP infer, or a streamed completion (OpenAI's API) for a generative model. */
async function send(event) {
  event.preventDefault();
  const m = model();
  if (!m) return;
  state.abort = new AbortController();
  out.start();
  try {
    if (m.kind === 'generative') {
      const response = await api('/v1/completions', {method: 'POST', signal: state.abort.signal,
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({...generationBody(m), stream: true})});
      remember(response.headers.get('X-Job-Id'));
      if (!response.ok) return fail(response);
      let finish = 'done';
      await readEvents(response, e => {
        if (e.data === '[DONE]') return;
        const chunk = JSON.parse(e.data);
        if (chunk.error) {
          finish = 'error';
          out.chunk(`\n[error] ${chunk.error.message}`);
          return;
        }
        const choice = chunk.choices && chunk.choices[0];
        if (choice && choice.text) out.chunk(choice.text);
      });
      out.end(finish);
    } else {
      const response = await api(`/v2/models/${encodeURIComponent(m.name)}/infer`, {method: 'POST',
        signal: state.abort.signal, headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(oipRequest(m))});
      remember(response.headers.get('X-Job-Id'));
      if (!response.ok) return fail(response);
      $('pg-output').textContent = summary(await response.json());
      out.end('done');
    }
  } catch (e) {
    out.end(e.name === 'AbortError' ? 'stopped' : 'error');
    if (e.name !== 'AbortError') $('pg-output').textContent += `\n${e.message}`;
  }
}

/** An async job: submitted, then followed on its event stream (status changes, a generation's tokens, the result). */
async function submitJob() {
  const m = model();
  if (!m) return;
  state.abort = new AbortController();
  out.start();
  try {
    const body = m.kind === 'generative' ? generationBody(m) : oipRequest(m);
    const submitted = await api(`/v1/jobs/${encodeURIComponent(m.name)}`, {method: 'POST',
      signal: state.abort.signal, headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
    if (!submitted.ok) return fail(submitted);
    const {job_id: id, events_url: events} = await submitted.json();
    remember(id);
    out.say(`job ${id} submitted`);
    const response = await api(events, {signal: state.abort.signal});
    if (!response.ok) return fail(response);
    let outcome = 'done';
    await readEvents(response, e => {
      const data = JSON.parse(e.data);
      if (e.event === 'token') {
        out.chunk(data.text ?? '');
      } else if (e.event === 'status') {
        out.say(`job ${id}: ${data.state}`);
        if (data.state === 'FAILED' || data.state === 'EXPIRED') outcome = 'error';
      } else if (e.event === 'result' && m.kind !== 'generative') {
        $('pg-output').textContent = summary(data);
      }
    });
    out.end(outcome);
  } catch (e) {
    out.end(e.name === 'AbortError' ? 'stopped' : 'error');
    if (e.name !== 'AbortError') $('pg-output').textContent += `\n${e.message}`;
  }
}

async function fail(response) {
  $('pg-output').textContent = `HTTP ${response.status}\n${await response.text()}`;
  out.end('error');
}

/** An OIP response, its long tensors cut to their first values. */
function summary(response) {
  const cut = {...response, outputs: (response.outputs ?? []).map(o => {
    const data = (o.data ?? []).flat(Infinity);
    return {...o, data: data.length > 8 ? [...data.slice(0, 8), `… ${data.length} values`] : data};
  })};
  return JSON.stringify(cut, null, 2);
}

// ------------------------------------------------------------------------------------------------ start

function every(ms, task) {
  const run = () => task().catch(e => console.warn(e)).finally(() => setTimeout(run, ms));
  run();
}

function start() {
  $('token').value = localStorage.getItem(TOKEN_KEY) ?? '';
  $('token-form').addEventListener('submit', e => {
    e.preventDefault();
    const t = $('token').value.trim();
    if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
    notice(null);
    loadModels().catch(err => notice(err.message));
  });
  $('trace-url').value = localStorage.getItem(TRACE_KEY) || DEFAULT_TRACE_URL;
  $('trace-url').addEventListener('change', e => localStorage.setItem(TRACE_KEY, e.target.value.trim()));
  $('pg-model').addEventListener('change', choose);
  $('playground').addEventListener('submit', send);
  $('pg-job').addEventListener('click', submitJob);
  $('pg-stop').addEventListener('click', () => state.abort && state.abort.abort());

  loadModels().catch(e => notice(`models: ${e.message}`));
  every(POLL_MS, refreshReadiness);
  every(POLL_MS, refreshMetrics);
  every(POLL_MS, refreshJobs);
  every(10 * POLL_MS, refreshModelStates);
}

start();
