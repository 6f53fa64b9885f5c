// The official OpenAI JavaScript client, with its default settings, against the bridge's Batch API (files and
// batches). BatchIT runs it (node batch.mjs) with BASE_URL, API_KEY, EMBEDDER, CANCEL_LINES and MAX_LINES (the
// bridge's batches.max-file-lines) in the environment and asserts on the one JSON object it prints.
import OpenAI from 'openai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const { BASE_URL, API_KEY, EMBEDDER } = process.env;
const CANCEL_LINES = Number(process.env.CANCEL_LINES);
const MAX_LINES = Number(process.env.MAX_LINES);
const client = new OpenAI({ baseURL: BASE_URL, apiKey: API_KEY });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'batch-client-'));
const out = {};
const created = [];

const line = (customId, model, input) => JSON.stringify({ custom_id: customId, method: 'POST',
  url: '/v1/embeddings', body: { model, input, encoding_format: 'float' } });

/** Uploads lines as a JSONL file with purpose batch, the way the client's docs show it. */
async function upload(name, lines) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return client.files.create({ file: fs.createReadStream(file), purpose: 'batch' });
}

async function createBatch(fileId) {
  const b = await client.batches.create({ input_file_id: fileId, endpoint: '/v1/embeddings',
    completion_window: '24h', metadata: { test: 'batch-it' } });
  created.push(b.id);
  return b;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls the batch until it is in one of the statuses; every status seen on the way. */
async function until(id, statuses, seen = []) {
  for (let i = 0; i < 1800; i++) {
    const b = await client.batches.retrieve(id);
    if (seen[seen.length - 1] !== b.status) seen.push(b.status);
    if (statuses.includes(b.status)) return b;
    await sleep(200);
  }
  throw new Error(`batch ${id} did not reach ${statuses} (seen ${seen})`);
}

/** A file's lines by custom_id; a custom_id seen twice is counted in `repeated`. */
async function lines(fileId) {
  if (!fileId) return { byId: {}, count: 0, repeated: 0 };
  const text = await (await client.files.content(fileId)).text();
  const byId = {};
  let count = 0;
  let repeated = 0;
  for (const l of text.split('\n')) {
    if (!l.trim()) continue;
    const o = JSON.parse(l);
    count++;
    if (byId[o.custom_id]) repeated++;
    byId[o.custom_id] = o;
  }
  return { byId, count, repeated };
}

async function failure(call) {
  try {
    await call();
    return { raised: false };
  } catch (e) {
    return { raised: true, class: e.constructor.name, status: e.status, code: e.code, param: e.param,
      message: e.message };
  }
}

// 1. Embedding lines with two bad ones: an unknown model and an input that is not text.
{
  const texts = [];
  for (let i = 0; i < 40; i++) texts.push(line(`ok-${i}`, EMBEDDER, `text number ${i} about the state of the union`));
  texts.push(line('unknown-model', 'no-such-model', 'x'));
  texts.push(line('bad-input', EMBEDDER, 42));
  const f = await upload('mixed.jsonl', texts);
  const fetched = await client.files.retrieve(f.id);
  const b = await createBatch(f.id);
  const seen = [];
  const done = await until(b.id, ['completed', 'failed', 'expired', 'cancelled'], seen);
  const output = await lines(done.output_file_id);
  const errors = await lines(done.error_file_id);
  const summary = (o) => ({ status_code: o.response?.status_code ?? null, error: o.error?.code ?? null,
    body_error: o.response?.body?.error?.message ?? null, request_id: o.response?.request_id ?? null,
    dims: o.response?.body?.data?.[0]?.embedding?.length ?? null, id: o.id });
  out.mixed = {
    file: { id: f.id, object: f.object, purpose: f.purpose, bytes: f.bytes, filename: f.filename,
      created_at: f.created_at, retrieved: fetched.id, expectedBytes: fs.statSync(path.join(dir, 'mixed.jsonl')).size },
    created: { status: b.status, object: b.object, endpoint: b.endpoint, metadata: b.metadata,
      created_at: b.created_at, expires_at: b.expires_at },
    seen,
    done: { status: done.status, request_counts: done.request_counts, in_progress_at: done.in_progress_at,
      finalizing_at: done.finalizing_at, completed_at: done.completed_at, errors: done.errors },
    output: { count: output.count, repeated: output.repeated,
      lines: Object.fromEntries(Object.entries(output.byId).map(([k, v]) => [k, summary(v)])) },
    errors: { count: errors.count, repeated: errors.repeated,
      lines: Object.fromEntries(Object.entries(errors.byId).map(([k, v]) => [k, summary(v)])) },
  };
  const deleted = await client.files.delete(f.id);
  out.deleteFile = { id: deleted.id, deleted: deleted.deleted,
    afterwards: await failure(() => client.files.retrieve(f.id)) };
}

// 2. A batch whose input fails validation: a malformed line and a repeated custom_id.
{
  const f = await upload('invalid.jsonl', [line('a', EMBEDDER, 'x'), '{not json', line('a', EMBEDDER, 'y')]);
  const b = await createBatch(f.id);
  const done = await until(b.id, ['failed', 'completed', 'in_progress']);
  out.invalid = { status: done.status, failed_at: done.failed_at, errors: done.errors,
    request_counts: done.request_counts, output_file_id: done.output_file_id ?? null };
}

// 3. Cancel mid-way: what finished is in the output file, the rest in the error file as batch_cancelled.
{
  const texts = [];
  for (let i = 0; i < CANCEL_LINES; i++) texts.push(line(`c-${i}`, EMBEDDER, `line ${i} of a batch to cancel`));
  const f = await upload('cancel.jsonl', texts);
  const b = await createBatch(f.id);
  let running;
  for (let i = 0; i < 3000; i++) {
    running = await client.batches.retrieve(b.id);
    if (running.status !== 'validating' && running.status !== 'in_progress') break;
    if (running.request_counts.completed > 0) break;
    await sleep(100);
  }
  const cancelling = await client.batches.cancel(b.id);
  const done = await until(b.id, ['cancelled', 'completed', 'failed', 'expired']);
  const output = await lines(done.output_file_id);
  const errors = await lines(done.error_file_id);
  const codes = {};
  for (const e of Object.values(errors.byId)) codes[e.error?.code ?? 'none'] = (codes[e.error?.code ?? 'none'] ?? 0) + 1;
  const all = new Set([...Object.keys(output.byId), ...Object.keys(errors.byId)]);
  out.cancel = { lines: CANCEL_LINES, beforeCancel: { status: running.status, counts: running.request_counts },
    cancelling: { status: cancelling.status, cancelling_at: cancelling.cancelling_at },
    done: { status: done.status, request_counts: done.request_counts, cancelling_at: done.cancelling_at,
      cancelled_at: done.cancelled_at },
    output: { count: output.count, repeated: output.repeated,
      ok: Object.values(output.byId).filter((o) => o.response?.status_code === 200).length },
    errors: { count: errors.count, repeated: errors.repeated, codes },
    distinct: all.size,
    cancelAgain: (await client.batches.cancel(b.id)).status };
}

// 4. The list, newest first, a page at a time as the client walks it (after = the last ID of a page).
{
  const first = await client.batches.list({ limit: 2 });
  const ids = [];
  let pages = 0;
  for (let page = first; ; page = await page.getNextPage()) {
    pages++;
    for (const b of page.data) ids.push(b.id);
    if (!page.hasNextPage()) break;
  }
  const raw = await (await fetch(`${BASE_URL}/batches?limit=2`, {
    headers: { Authorization: `Bearer ${API_KEY}` } })).json();
  out.list = { created, ids, pages, firstPage: { has_more: first.has_more, size: first.data.length },
    raw: { object: raw.object, first_id: raw.first_id, last_id: raw.last_id, has_more: raw.has_more,
      ids: raw.data.map((b) => b.id) } };
}

// 5. Errors: too many lines, a wrong purpose, an unknown batch, a wrong key.
{
  const many = [];
  for (let i = 0; i <= MAX_LINES; i++) many.push(line(`m-${i}`, EMBEDDER, 'x'));
  out.refused = {
    tooManyLines: await failure(() => upload('many.jsonl', many)),
    wrongPurpose: await failure(() => client.files.create({
      file: fs.createReadStream(path.join(dir, 'mixed.jsonl')), purpose: 'fine-tune' })),
    unknownBatch: await failure(() => client.batches.retrieve('batch_nope')),
    unknownFile: await failure(() => client.batches.create({ input_file_id: 'file-nope',
      endpoint: '/v1/embeddings', completion_window: '24h' })),
    wrongKey: await failure(() => new OpenAI({ baseURL: BASE_URL, apiKey: 'wrong', maxRetries: 0 })
      .batches.list()),
  };
}

fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(out));
