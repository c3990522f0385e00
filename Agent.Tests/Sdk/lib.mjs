// Shared set-up of the SDK suite. The NUnit fixture (LangGraphSdk_Specs.cs) starts a real system and passes:
//   AGENT_API_URL    the API under test
//   FAKE_MODEL_URL   the fake OpenAI-compatible server the worker calls (its /_control sets latency)
//   AGENT_API_KEY    the API key, when authentication is on (undefined until then)
import { Client } from "@langchain/langgraph-sdk";

export const apiUrl = process.env.AGENT_API_URL ?? "http://localhost:8123";
export const modelUrl = process.env.FAKE_MODEL_URL;
export const GRAPH = "agent";
export const SYSTEM_ASSISTANT_ID = "fe096781-5601-53d2-b2f6-0d3403f7e9ca";

export function client(options = {}) {
  return new Client({ apiUrl, apiKey: process.env.AGENT_API_KEY, ...options });
}

export function question(text) {
  return { messages: [{ role: "user", content: text }] };
}

// Slows the fake model down: every reply waits latencyMs; streamed replies wait chunkDelayMs before each word.
export async function setModel({ latencyMs = 0, chunkDelayMs = 0 } = {}) {
  if (!modelUrl) throw new Error("FAKE_MODEL_URL is not set");
  const response = await fetch(new URL("/_control", modelUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ latency_ms: latencyMs, chunk_delay_ms: chunkDelayMs }),
  });
  if (!response.ok) throw new Error(`fake model control answered ${response.status}`);
}

// Opens a gate of the fake model (FakeOpenAIServer.NamedGate): the replies the fixture's script holds on it go out.
export async function openGate(name) {
  if (!modelUrl) throw new Error("FAKE_MODEL_URL is not set");
  const response = await fetch(new URL("/_control", modelUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ open_gate: name }),
  });
  if (!response.ok) throw new Error(`fake model control answered ${response.status}`);
}

// Runs fn with a slow model, then restores it.
export async function withSlowModel(settings, fn) {
  await setModel(settings);
  try {
    return await fn();
  } finally {
    await setModel();
  }
}

export async function collect(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

// Polls until predicate(value) holds, with a deadline (no sleeping to wait: each poll is a request).
export async function until(read, predicate, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Concatenates messages-tuple chunks by message id, as the SDK's MessageTupleManager does.
export function assemble(parts) {
  const messages = new Map();
  for (const part of parts) {
    if (part.event !== "messages") continue;
    const [chunk, metadata] = part.data;
    const entry = messages.get(chunk.id) ?? { id: chunk.id, types: [], content: "", toolCallChunks: [], metadata };
    entry.types.push(chunk.type);
    entry.content += typeof chunk.content === "string" ? chunk.content : "";
    entry.toolCallChunks.push(...(chunk.tool_call_chunks ?? []));
    messages.set(chunk.id, entry);
  }
  return messages;
}

export function lastMessage(values) {
  return values.messages[values.messages.length - 1];
}
