// The official OpenAI JavaScript client, with its default settings, against the bridge's /v1. OpenAiClientIT runs
// it (node check.mjs) with BASE_URL, API_KEY, MODEL (generative), EMBEDDER and TEXT in the environment and asserts
// on the one JSON object it prints.
import OpenAI from 'openai';

const { BASE_URL, API_KEY, MODEL, EMBEDDER, TEXT } = process.env;
const client = new OpenAI({ baseURL: BASE_URL, apiKey: API_KEY });
const out = {};

/** What a failed call raised: the client's error class, the HTTP status and OpenAI's error fields. */
async function failure(call) {
  try {
    await call();
    return { raised: false };
  } catch (e) {
    return { raised: true, class: e.constructor.name, status: e.status, type: e.type, code: e.code,
      param: e.param, message: e.message };
  }
}

/** A streamed answer's chunks joined: text, finish reason, usage, and the ids and objects the chunks carried. */
async function joined(stream, chat) {
  const r = { text: '', finish: null, usage: null, ids: [], objects: [], chunks: 0, role: null };
  for await (const chunk of stream) {
    r.chunks++;
    if (!r.ids.includes(chunk.id)) r.ids.push(chunk.id);
    if (!r.objects.includes(chunk.object)) r.objects.push(chunk.object);
    if (chunk.usage) r.usage = chunk.usage;
    for (const choice of chunk.choices) {
      r.text += (chat ? choice.delta?.content : choice.text) ?? '';
      if (chat && choice.delta?.role) r.role = choice.delta.role;
      if (choice.finish_reason) r.finish = choice.finish_reason;
    }
  }
  return r;
}

const models = [];
for await (const m of client.models.list()) models.push({ id: m.id, object: m.object, owned_by: m.owned_by });
out.models = models;

// The client asks for base64 unless told otherwise, and decodes it into floats.
const embedding = await client.embeddings.create({ model: EMBEDDER, input: TEXT });
out.embedding = { vector: Array.from(embedding.data[0].embedding), usage: embedding.usage, model: embedding.model };
const floats = await client.embeddings.create({ model: EMBEDDER, input: [TEXT, 'Another sentence.'],
  encoding_format: 'float' });
out.floatEmbeddings = floats.data.map(d => ({ index: d.index, vector: d.embedding }));

const prompt = 'The state of the union is';
const completion = await client.completions.create({ model: MODEL, prompt, max_tokens: 24, temperature: 0 });
out.completion = { id: completion.id, object: completion.object, model: completion.model,
  text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage };
out.completionStream = await joined(await client.completions.create({ model: MODEL, prompt, max_tokens: 24,
  temperature: 0, stream: true, stream_options: { include_usage: true } }), false);

const messages = [{ role: 'system', content: 'You answer briefly.' },
  { role: 'user', content: 'What did the president say about taxes?' }];
const chat = await client.chat.completions.create({ model: MODEL, messages, max_completion_tokens: 24,
  temperature: 0 });
out.chat = { id: chat.id, object: chat.object, role: chat.choices[0].message.role,
  text: chat.choices[0].message.content, finish: chat.choices[0].finish_reason, usage: chat.usage };
out.chatStream = await joined(await client.chat.completions.create({ model: MODEL, messages,
  max_completion_tokens: 24, temperature: 0, stream: true }), true);

out.errors = {
  unknownModel: await failure(() => client.chat.completions.create({ model: 'no-such-model', messages })),
  badParameter: await failure(() => client.completions.create({ model: MODEL, prompt, temperature: 5 })),
  unsupported: await failure(() => client.completions.create({ model: MODEL, prompt, n: 2 })),
  notGenerative: await failure(() => client.completions.create({ model: EMBEDDER, prompt })),
  wrongKey: await failure(() => new OpenAI({ baseURL: BASE_URL, apiKey: 'not-a-token-of-this-bridge' })
    .models.list()),
};

console.log(JSON.stringify(out));
