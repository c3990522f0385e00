import { test } from "node:test";
import assert from "node:assert/strict";
import { apiUrl, client, collect, question, until, withSlowModel, lastMessage, GRAPH } from "./lib.mjs";

test("runs.create returns a pending run at once; join waits for its values; get and list see it succeed", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  let created;

  const run = await sdk.runs.create(thread.thread_id, GRAPH, {
    input: question("How do I create a GIN index?"),
    metadata: { suite: "sdk-runs" },
    onRunCreated: (meta) => { created = meta; },
  });
  const values = await sdk.runs.join(thread.thread_id, run.run_id);
  const ended = await sdk.runs.get(thread.thread_id, run.run_id);
  const listed = await sdk.runs.list(thread.thread_id);
  const selected = await sdk.runs.list(thread.thread_id, { select: ["run_id", "status"] });

  assert.ok(["pending", "running"].includes(run.status));
  assert.deepEqual(created, { run_id: run.run_id, thread_id: thread.thread_id });
  assert.equal(lastMessage(values).type, "ai");
  assert.equal(ended.status, "success");
  assert.equal(ended.metadata.suite, "sdk-runs");
  assert.deepEqual(listed.map((r) => r.run_id), [run.run_id]);
  assert.deepEqual(selected, [{ run_id: run.run_id, status: "success" }]);
});

test("runs.wait returns the final values, on a thread and stateless", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  const onThread = await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });
  const stateless = await sdk.runs.wait(null, GRAPH, { input: question("What does VACUUM do?") });

  assert.deepEqual(onThread.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
  assert.equal(lastMessage(stateless).content, lastMessage(onThread).content);
});

test("runs.stream yields metadata first and values by default; joinStream with lastEventId -1 replays a finished run", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  const parts = await collect(sdk.runs.stream(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") }));
  const runId = parts[0].data.run_id;
  const replay = await collect(sdk.runs.joinStream(thread.thread_id, runId, { lastEventId: "-1", streamMode: "values" }));
  const tail = await collect(sdk.runs.joinStream(thread.thread_id, runId, { lastEventId: parts.at(-2).id, streamMode: "values" }));

  assert.equal(parts[0].event, "metadata");
  assert.ok(parts.slice(1).every((p) => p.event === "values"));
  assert.deepEqual(replay.slice(1).map((p) => p.data.messages.length), parts.slice(1).map((p) => p.data.messages.length));
  assert.deepEqual(tail.slice(1).map((p) => p.id), [parts.at(-1).id]);
});

test("runs.joinStream follows a running run live until it ends", async () => {
  await withSlowModel({ latencyMs: 400 }, async () => {
    const sdk = client();
    const thread = await sdk.threads.create();
    const run = await sdk.runs.create(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });

    const parts = await collect(sdk.runs.joinStream(thread.thread_id, run.run_id, { streamMode: ["updates"] }));

    assert.equal(parts[0].event, "metadata");
    assert.equal(parts.at(-1).event, "updates");
    assert.ok(Object.keys(parts.at(-1).data).includes("agent"));
    assert.equal((await sdk.runs.get(thread.thread_id, run.run_id)).status, "success");
  });
});

test("runs.cancel interrupts a running run and keeps its completed steps", async () => {
  await withSlowModel({ latencyMs: 1500 }, async () => {
    const sdk = client();
    const thread = await sdk.threads.create();
    const run = await sdk.runs.create(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });
    await until(() => sdk.runs.get(thread.thread_id, run.run_id), (r) => r.status === "running", "the run to start");

    const accepted = await sdk.runs.cancel(thread.thread_id, run.run_id);
    await sdk.runs.join(thread.thread_id, run.run_id);
    const ended = await sdk.runs.get(thread.thread_id, run.run_id);
    const state = await sdk.threads.getState(thread.thread_id);

    assert.equal(accepted, undefined, "202 Accepted without a body");
    assert.equal(ended.status, "interrupted");
    assert.equal(state.values.messages[0].type, "human", "the committed input step stays");
    assert.ok(state.values.messages.length < 4, "the run did not reach its answer");
  });
});

test("POST /runs/cancel, runs.createBatch and runs.delete", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  const delayed = await sdk.runs.create(thread.thread_id, GRAPH, { input: question("x"), afterSeconds: 600 });

  // SDK 2.0.0 has no cancelMany; the endpoint is called as the Python SDK's cancel_many calls it.
  const cancel = await fetch(`${apiUrl}/runs/cancel?action=interrupt`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(process.env.AGENT_API_KEY ? { "x-api-key": process.env.AGENT_API_KEY } : {}) },
    body: JSON.stringify({ thread_id: thread.thread_id }),
  });
  assert.equal(cancel.status, 204);
  const cancelled = await sdk.runs.get(thread.thread_id, delayed.run_id);
  await sdk.runs.delete(thread.thread_id, delayed.run_id);
  const batch = await sdk.runs.createBatch([
    { assistantId: GRAPH, input: question("What does VACUUM do?") },
    { assistantId: GRAPH, input: question("How do I create an index?") },
  ]);
  const results = await Promise.all(batch.map((r) => sdk.runs.join(r.thread_id, r.run_id)));

  assert.equal(delayed.status, "pending");
  assert.equal(cancelled.status, "interrupted");
  await assert.rejects(sdk.runs.get(thread.thread_id, delayed.run_id), (error) => error.status === 404);
  assert.equal(batch.length, 2);
  assert.ok(results.every((values) => lastMessage(values).type === "ai"));
});

test("a webhook to a private or loopback address is refused with 422 naming the field", async () => {
  const sdk = client();
  await assert.rejects(
    sdk.runs.create(null, GRAPH, { input: question("x"), webhook: "http://127.0.0.1:9/hook" }),
    (error) => error.status === 422 && /webhook host/.test(error.message),
  );
});
