import { test } from "node:test";
import assert from "node:assert/strict";
import { client, question, until, withSlowModel, GRAPH } from "./lib.mjs";

// Each test starts a slow first run, waits until a worker runs it, then submits a second run with a strategy.
async function secondRunWhileFirstRuns(strategy) {
  const sdk = client();
  const thread = await sdk.threads.create();
  const first = await sdk.runs.create(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });
  await until(() => sdk.runs.get(thread.thread_id, first.run_id), (r) => r.status === "running", "the first run to start");
  const second = () => sdk.runs.create(thread.thread_id, GRAPH, { input: question("How do I create an index?"), multitaskStrategy: strategy });
  return { sdk, thread, first, second };
}

test("reject: 409 while a run is in flight", async () => {
  await withSlowModel({ latencyMs: 1000 }, async () => {
    const { sdk, thread, first, second } = await secondRunWhileFirstRuns("reject");
    await assert.rejects(second(), (error) => error.status === 409 && /Thread is already running a task/.test(error.message));
    await sdk.runs.join(thread.thread_id, first.run_id);
    assert.equal((await sdk.runs.get(thread.thread_id, first.run_id)).status, "success");
  });
});

test("enqueue (the default): the second run waits, then both succeed in order", async () => {
  await withSlowModel({ latencyMs: 300 }, async () => {
    const { sdk, thread, first, second } = await secondRunWhileFirstRuns(undefined);
    const queued = await second();
    await sdk.runs.join(thread.thread_id, queued.run_id);

    const runs = await sdk.runs.list(thread.thread_id);
    const state = await sdk.threads.getState(thread.thread_id);
    assert.equal(queued.multitask_strategy, "enqueue");
    assert.deepEqual(runs.map((r) => [r.run_id, r.status]), [[queued.run_id, "success"], [first.run_id, "success"]]);
    assert.equal(state.values.messages.length, 8, "both turns are in the state");
  });
});

test("interrupt: the first run stops interrupted, keeping its steps; the second runs on top", async () => {
  await withSlowModel({ latencyMs: 1000 }, async () => {
    const { sdk, thread, first, second } = await secondRunWhileFirstRuns("interrupt");
    const next = await second();
    await sdk.runs.join(thread.thread_id, next.run_id);

    assert.equal((await sdk.runs.get(thread.thread_id, first.run_id)).status, "interrupted");
    assert.equal((await sdk.runs.get(thread.thread_id, next.run_id)).status, "success");
    const state = await sdk.threads.getState(thread.thread_id);
    assert.equal(state.values.messages[0].content, "What does VACUUM do?", "the interrupted run's input stays");
  });
});

test("rollback: the first run and its checkpoints are deleted; the second runs as if it never happened", async () => {
  await withSlowModel({ latencyMs: 1000 }, async () => {
    const { sdk, thread, first, second } = await secondRunWhileFirstRuns("rollback");
    const next = await second();
    await sdk.runs.join(thread.thread_id, next.run_id);

    await assert.rejects(sdk.runs.get(thread.thread_id, first.run_id), (error) => error.status === 404);
    const state = await sdk.threads.getState(thread.thread_id);
    assert.deepEqual(state.values.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
    assert.equal(state.values.messages[0].content, "How do I create an index?");
  });
});
