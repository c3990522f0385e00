import { test } from "node:test";
import assert from "node:assert/strict";
import { client, collect, question, GRAPH } from "./lib.mjs";

// The problem detail of an SDK error ("HTTP 422: {json}").
const detail = (error) => JSON.parse(error.message.replace(/^HTTP \d+: /, "")).detail;

test("an approval interrupt before a tool: the thread pauses with the call under review, and command.resume runs it to the answer", async () => {
  const sdk = client();
  const assistant = await sdk.assistants.create({ graphId: GRAPH, config: { configurable: { approve_tools: ["search_documents"] } } });
  const thread = await sdk.threads.create();

  const paused = await sdk.runs.wait(thread.thread_id, assistant.assistant_id, { input: question("How do I create a GIN index?") });
  const interrupted = await sdk.threads.get(thread.thread_id);
  const state = await sdk.threads.getState(thread.thread_id);

  assert.equal(paused.__interrupt__.length, 1);
  const review = paused.__interrupt__[0];
  assert.equal(review.value.action_requests[0].name, "search_documents");
  assert.deepEqual(review.value.review_configs[0].allowed_decisions, ["approve", "edit", "reject"]);
  assert.equal(interrupted.status, "interrupted");
  assert.deepEqual(Object.values(interrupted.interrupts), [[{ value: review.value, id: review.id }]]);
  assert.deepEqual(state.next, ["tools"]);
  assert.equal(state.tasks[0].name, "tools");
  assert.equal(state.tasks[0].interrupts[0].id, review.id);
  assert.deepEqual(state.values.messages.map((m) => m.type), ["human", "ai"]);

  const parts = await collect(sdk.runs.stream(thread.thread_id, assistant.assistant_id, {
    command: { resume: { decisions: [{ type: "approve" }] } },
    streamMode: ["updates"],
  }));
  const done = await sdk.threads.get(thread.thread_id);

  const updated = parts.filter((p) => p.event === "updates").map((p) => Object.keys(p.data)[0]);
  assert.deepEqual(updated, ["tools", "agent"]);
  assert.equal(done.status, "idle");
  assert.deepEqual(done.interrupts, {});
  assert.deepEqual(done.values.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
  assert.equal(done.values.messages[2].status, "success");
});

test("a rejected call is answered with the reviewer's message and never runs", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  const config = { configurable: { approve_tools: ["search_documents"] } };

  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("How do I create a GIN index?"), config });
  await sdk.runs.wait(thread.thread_id, GRAPH, { command: { resume: { decisions: [{ type: "reject", message: "No searching today." }] } }, config });
  const state = await sdk.threads.getState(thread.thread_id);

  const tool = state.values.messages[2];
  assert.equal(tool.type, "tool");
  assert.equal(tool.status, "error");
  assert.equal(tool.content, "No searching today.");
});

test("interruptBefore a node, updateState asNode, then a run with no input continues from the edited state", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  const paused = await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("How do I create a GIN index?"), interruptBefore: ["tools"] });
  const before = await sdk.threads.getState(thread.thread_id);
  const interrupted = await sdk.threads.get(thread.thread_id);
  assert.deepEqual(paused, { __interrupt__: [] });
  assert.equal(interrupted.status, "interrupted");
  assert.deepEqual(before.next, ["tools"]);
  assert.deepEqual(before.tasks.map((t) => [t.name, t.interrupts]), [["tools", []]]);

  // The client answers the tool call itself, as the tools node.
  const call = before.values.messages.at(-1).tool_calls[0];
  await sdk.threads.updateState(thread.thread_id, {
    values: { messages: [{ type: "tool", tool_call_id: call.id, name: call.name, content: "Use CREATE INDEX ... USING GIN (column)." }] },
    asNode: "tools",
  });
  const edited = await sdk.threads.getState(thread.thread_id);
  assert.deepEqual(edited.next, ["agent"]);

  await sdk.runs.wait(thread.thread_id, GRAPH, { input: null });
  const after = await sdk.threads.getState(thread.thread_id);
  const history = await sdk.threads.getHistory(thread.thread_id, { limit: 20 });

  assert.deepEqual(after.values.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
  assert.equal(after.values.messages[2].content, "Use CREATE INDEX ... USING GIN (column).", "the tool did not run: the edited state was continued");
  assert.deepEqual(after.next, []);
  assert.ok(history.some((s) => s.metadata.source === "update"), "history shows the edit");
});

test("interrupt_after pauses after the node, and the stream carries __interrupt__ in updates and values", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  const parts = await collect(sdk.runs.stream(thread.thread_id, GRAPH, {
    input: question("What does VACUUM do?"),
    interruptAfter: ["agent"],
    streamMode: ["updates", "values"],
  }));
  const state = await sdk.threads.getState(thread.thread_id);

  const updates = parts.filter((p) => p.event === "updates").map((p) => p.data);
  const values = parts.filter((p) => p.event === "values").map((p) => p.data);
  assert.deepEqual(updates.at(-1), { __interrupt__: [] });
  assert.deepEqual(values.at(-1), { __interrupt__: [] });
  assert.deepEqual(state.next, ["tools"]);
  assert.deepEqual(state.values.messages.map((m) => m.type), ["human", "ai"]);
});

test("updateState asNode is that node's write: a run with no input goes on after it (here the graph ends after agent)", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: question("What does VACUUM do?"), interruptBefore: ["agent"] });

  await sdk.threads.updateState(thread.thread_id, { values: { messages: [{ role: "assistant", content: "It reclaims storage." }] }, asNode: "agent" });
  const edited = await sdk.threads.getState(thread.thread_id);
  await sdk.runs.wait(thread.thread_id, GRAPH, { input: null });
  const after = await sdk.threads.getState(thread.thread_id);

  assert.deepEqual(after.values.messages.map((m) => [m.type, m.content]), [["human", "What does VACUUM do?"], ["ai", "It reclaims storage."]]);
  assert.equal(after.checkpoint.checkpoint_id, edited.checkpoint.checkpoint_id, "nothing ran: the graph ends after agent's answer");
  await assert.rejects(
    sdk.threads.updateState(thread.thread_id, { values: { messages: [] }, asNode: "planner" }),
    (error) => error.status === 422 && detail(error) === "as_node 'planner' is not a node of graph 'agent'; its nodes: __start__, agent, tools.");
});
