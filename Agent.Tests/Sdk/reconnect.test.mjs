import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, client, question, withSlowModel, GRAPH } from "./lib.mjs";

// A fetch whose first run-stream connection the test can cut (the server sees the disconnect), like a network drop.
// Every request is recorded.
function droppingFetch() {
  const requests = [];
  let cut = null;
  const fetchImpl = async (url, init = {}) => {
    const headers = new Headers(init.headers);
    requests.push({ url: String(url), method: init.method ?? "GET", lastEventId: headers.get("last-event-id") });
    if (cut || !String(url).endsWith("/runs/stream")) return fetch(url, init);
    const connection = new AbortController();
    init.signal?.addEventListener("abort", () => connection.abort());
    const response = await fetch(url, { ...init, signal: connection.signal });
    const reader = response.body.getReader();
    let body;
    const stream = new ReadableStream({
      start(controller) { body = controller; },
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
    });
    cut = () => {
      connection.abort();
      body.error(new TypeError("fetch failed: the test dropped the connection"));
    };
    return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { requests, fetchImpl, drop: () => cut?.() };
}

test("a stream whose connection drops mid-answer reconnects with Last-Event-ID and loses nothing", async () => {
  await withSlowModel({ chunkDelayMs: 40 }, async () => {
    const { requests, fetchImpl, drop } = droppingFetch();
    const sdk = client({ callerOptions: { fetch: fetchImpl } });
    const thread = await sdk.threads.create();
    const parts = [];
    let answerChunks = 0;

    for await (const part of sdk.runs.stream(thread.thread_id, GRAPH, {
      input: question("What does VACUUM do?"),
      streamMode: ["messages-tuple", "updates"],
      onDisconnect: "continue",
    })) {
      parts.push(part);
      // Two words of the answer have arrived: cut the connection in the middle of it.
      if (part.event === "messages" && part.data[0].type === "AIMessageChunk" && part.data[0].content && ++answerChunks === 2) {
        drop();
      }
    }

    const state = await client().threads.getState(thread.thread_id);
    const answer = state.values.messages.at(-1);
    const reconnect = requests.find((r) => r.method === "GET" && r.url.includes(`/threads/${thread.thread_id}/runs/`));
    assert.ok(reconnect, `the SDK reconnected: ${JSON.stringify(requests)}`);
    assert.match(reconnect.url, /\/runs\/[0-9a-f-]+\/stream$/);
    assert.match(reconnect.lastEventId ?? "", /^\d+\.\d+\.\d+$/, "it resumed from a token event, in the middle of the answer");
    assert.equal(assemble(parts).get(answer.id).content, answer.content, "every part of the answer arrived exactly once");
    assert.deepEqual(parts.filter((p) => p.event === "updates").map((p) => Object.keys(p.data)[0]), ["agent", "tools", "agent"]);
  });
});
