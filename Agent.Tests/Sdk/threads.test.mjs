import { test } from "node:test";
import assert from "node:assert/strict";
import { client, question, GRAPH, SYSTEM_ASSISTANT_ID } from "./lib.mjs";

test("threads.create, then search finds the thread by the graph_id and assistant_id a run stamped on it", async () => {
  const sdk = client();
  const thread = await sdk.threads.create({ metadata: { suite: "sdk-threads" } });
  const again = await sdk.threads.create({ threadId: thread.thread_id, ifExists: "do_nothing" });
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });

  const found = await sdk.threads.search({ metadata: { graph_id: GRAPH, suite: "sdk-threads" }, limit: 100 });
  const idle = await sdk.threads.search({ ids: [thread.thread_id], status: "idle" });
  const count = await sdk.threads.count({ metadata: { suite: "sdk-threads" } });

  assert.equal(again.thread_id, thread.thread_id);
  assert.deepEqual(found.map((t) => t.thread_id), [thread.thread_id]);
  assert.equal(found[0].metadata.assistant_id, SYSTEM_ASSISTANT_ID);
  assert.deepEqual(found[0].values.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
  assert.equal(idle.length, 1);
  assert.equal(count, 1);
});

test("threads.create refuses an existing id unless ifExists is do_nothing", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await assert.rejects(sdk.threads.create({ threadId: thread.thread_id }), (error) => error.status === 409);
});

test("threads.getState and getHistory: newest first, linked by parent_checkpoint, state at a checkpoint", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("How do I create a GIN index?") });

  const state = await sdk.threads.getState(thread.thread_id);
  const history = await sdk.threads.getHistory(thread.thread_id, { limit: 10 });
  const atStart = await sdk.threads.getState(thread.thread_id, history.at(-2).checkpoint.checkpoint_id);
  const before = await sdk.threads.getHistory(thread.thread_id, { before: { configurable: { checkpoint_id: history[0].checkpoint.checkpoint_id } } });

  assert.equal(state.values.messages.length, 4);
  assert.deepEqual(state.next, []);
  assert.equal(state.checkpoint.checkpoint_id, history[0].checkpoint.checkpoint_id);
  assert.deepEqual(history.map((s) => s.values.messages.length), [4, 3, 2, 1, 0]);
  for (let i = 0; i < history.length - 1; i++) {
    assert.equal(history[i].parent_checkpoint.checkpoint_id, history[i + 1].checkpoint.checkpoint_id);
  }
  assert.deepEqual(atStart.values.messages.map((m) => m.type), ["human"]);
  assert.deepEqual(atStart.next, ["agent"]);
  assert.equal(before.length, 4);
});

test("a run writes its input checkpoint first, as LangGraph does: source input, step -1, next __start__, the values before the input", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("How do I create a GIN index?"), metadata: { ticket: "T-1" } });
  const first = await sdk.threads.getHistory(thread.thread_id, { limit: 100 });
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?"), metadata: { ticket: "T-2" } });
  const full = await sdk.threads.getHistory(thread.thread_id, { limit: 100 });
  const second = await sdk.threads.getHistory(thread.thread_id, { limit: 100, metadata: { ticket: "T-2" } });

  const [input, start] = [first.at(-1), first.at(-2)];
  assert.equal(first.length, 5);
  assert.deepEqual([input.metadata.source, input.metadata.step, input.next, input.values.messages], ["input", -1, ["__start__"], []]);
  assert.deepEqual(input.tasks.map((t) => t.name), ["__start__"]);
  assert.equal(input.parent_checkpoint, null);
  assert.deepEqual([start.metadata.source, start.metadata.step, start.next], ["loop", 0, ["agent"]]);
  assert.equal(start.parent_checkpoint.checkpoint_id, input.checkpoint.checkpoint_id);
  assert.equal(full.length, 10);
  assert.equal(full.at(-1).values.messages.length, 0);
  assert.equal(second.length, 5, "the input checkpoint carries the run's metadata too");
  assert.deepEqual([second.at(-1).metadata.source, second.at(-1).values.messages.length], ["input", 4], "the values before the second input");
  assert.equal(second.at(-1).parent_checkpoint.checkpoint_id, first[0].checkpoint.checkpoint_id);
});

test("a run from the input checkpoint forks from before the first message", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("How do I create a GIN index?") });
  const input = (await sdk.threads.getHistory(thread.thread_id, { limit: 100 })).at(-1);

  const forked = await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?"), checkpointId: input.checkpoint.checkpoint_id });
  const history = await sdk.threads.getHistory(thread.thread_id, { limit: 100 });

  assert.deepEqual(forked.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
  assert.equal(forked.messages[0].content, "What does VACUUM do?");
  assert.equal(history.length, 10, "both branches are in the history");
  assert.equal(history[4].parent_checkpoint.checkpoint_id, input.checkpoint.checkpoint_id, "the fork's own input checkpoint follows the first one");
});

test("threads.getHistory filtered by metadata finds the checkpoints of the run that had it", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("How do I create a GIN index?"), metadata: { ticket: "T-1" } });

  const all = await sdk.threads.getHistory(thread.thread_id, { limit: 100 });
  const matching = await sdk.threads.getHistory(thread.thread_id, { limit: 100, metadata: { ticket: "T-1" } });
  const none = await sdk.threads.getHistory(thread.thread_id, { metadata: { ticket: "nope" } });

  assert.equal(all.length, 5);
  assert.deepEqual(matching.map((s) => s.checkpoint.checkpoint_id), all.map((s) => s.checkpoint.checkpoint_id));
  assert.ok(matching.every((s) => s.metadata.ticket === "T-1"));
  assert.deepEqual(none, []);
});

test("threads.updateState adds messages; a run from an earlier checkpoint starts a new branch", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });
  const [, , , start] = await sdk.threads.getHistory(thread.thread_id);

  const updated = await sdk.threads.updateState(thread.thread_id, { values: { messages: [{ role: "user", content: "a note" }] } });
  const withNote = await sdk.threads.getState(thread.thread_id);
  const regenerated = await sdk.runs.wait(thread.thread_id, GRAPH, { checkpointId: start.checkpoint.checkpoint_id });

  assert.equal(updated.checkpoint.checkpoint_id, withNote.checkpoint.checkpoint_id);
  assert.equal(withNote.values.messages.at(-1).content, "a note");
  assert.deepEqual(regenerated.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
});

test("threads.update merges metadata; copy keeps the state; delete removes the thread", async () => {
  const sdk = client();
  const thread = await sdk.threads.create({ metadata: { a: 1 } });
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });

  const updated = await sdk.threads.update(thread.thread_id, { metadata: { b: 2 } });
  const copy = await sdk.threads.copy(thread.thread_id);
  await sdk.threads.delete(thread.thread_id);

  assert.equal(updated.metadata.a, 1);
  assert.equal(updated.metadata.b, 2);
  assert.notEqual(copy.thread_id, thread.thread_id);
  assert.equal((await sdk.threads.getState(copy.thread_id)).values.messages.length, 4);
  await assert.rejects(sdk.threads.get(thread.thread_id), (error) => error.status === 404);
});

test("threads.copy keeps the checkpoints' ids, names the copy in their metadata, and the copy goes on by itself", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });
  const state = await sdk.threads.getState(thread.thread_id);
  const history = await sdk.threads.getHistory(thread.thread_id, { limit: 100 });

  const copy = await sdk.threads.copy(thread.thread_id);
  const copiedState = await sdk.threads.getState(copy.thread_id);
  const copiedHistory = await sdk.threads.getHistory(copy.thread_id, { limit: 100 });
  // LangGraph's own suite (api.test.mts, "threads copy"): equal but for the thread id.
  const onCopy = (s) => ({
    ...s,
    metadata: { ...s.metadata, thread_id: copy.thread_id },
    checkpoint: { ...s.checkpoint, thread_id: copy.thread_id },
    parent_checkpoint: s.parent_checkpoint ? { ...s.parent_checkpoint, thread_id: copy.thread_id } : null,
  });
  assert.deepEqual(copiedState, onCopy(state));
  assert.deepEqual(copiedHistory, history.map(onCopy));

  await sdk.runs.wait(copy.thread_id, GRAPH, { input: question("How do I create a GIN index?") });
  const forked = await sdk.runs.wait(copy.thread_id, GRAPH, { input: question("What is a GIN index?"), checkpointId: history[0].checkpoint.checkpoint_id });
  assert.equal((await sdk.threads.getState(copy.thread_id)).values.messages.length, 8);
  assert.deepEqual(forked.messages.filter((m) => m.type === "human").map((m) => m.content), ["What does VACUUM do?", "What is a GIN index?"]);
  assert.deepEqual(await sdk.threads.getState(thread.thread_id), state, "the original is untouched");
  assert.equal((await sdk.threads.getHistory(thread.thread_id, { limit: 100 })).length, history.length);
});

test("threads.create with supersteps writes one checkpoint per superstep, in order", async () => {
  const sdk = client();
  const thread = await sdk.threads.create({
    supersteps: [
      { updates: [{ values: { messages: [{ role: "user", content: "What does VACUUM do?" }] }, asNode: "__start__" }] },
      { updates: [{ values: { messages: [{ role: "assistant", content: "It reclaims storage." }] }, asNode: "agent" }] },
    ],
  });

  const state = await sdk.threads.getState(thread.thread_id);
  const history = await sdk.threads.getHistory(thread.thread_id);

  assert.deepEqual(thread.values.messages.map((m) => [m.type, m.content]), [["human", "What does VACUUM do?"], ["ai", "It reclaims storage."]]);
  assert.deepEqual(state.values.messages.map((m) => m.type), ["human", "ai"]);
  assert.deepEqual(history.map((s) => s.values.messages.length), [2, 1]);
  await assert.rejects(
    sdk.threads.create({ supersteps: [{ updates: [{ values: { notes: "x" } }] }] }),
    (error) => error.status === 422 && /supersteps\[0\]\.updates\[0\]: values\.notes is not a channel/.test(error.message));
});

test("threads.patchState merges metadata into the latest checkpoint only", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?") });

  await sdk.threads.patchState(thread.thread_id, { reviewed_by: "ops", step: 99 });
  const history = await sdk.threads.getHistory(thread.thread_id, { limit: 10 });

  assert.equal(history[0].metadata.reviewed_by, "ops");
  assert.equal(history[0].metadata.step, 99, "the patch's keys replace the checkpoint's");
  assert.ok(history.slice(1).every((s) => s.metadata.reviewed_by === undefined), "earlier checkpoints are untouched");
  await assert.rejects(sdk.threads.patchState(thread.thread_id, "not an object"), (error) => error.status === 422);
});

test("threads.create and threads.update take a ttl (minutes, strategy delete)", async () => {
  const sdk = client();
  const thread = await sdk.threads.create({ ttl: 60 });
  const updated = await sdk.threads.update(thread.thread_id, { ttl: { ttl: 120, strategy: "delete" } });

  assert.equal(updated.thread_id, thread.thread_id);
  await assert.rejects(sdk.threads.create({ ttl: { ttl: 5, strategy: "archive" } }), (error) => error.status === 422);
  await assert.rejects(sdk.threads.create({ ttl: 0 }), (error) => error.status === 422);
});
