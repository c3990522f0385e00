import { test } from "node:test";
import assert from "node:assert/strict";
import { assemble, client, collect, question, withSlowModel, GRAPH } from "./lib.mjs";

async function streamRun(streamMode, input = question("What does VACUUM do?")) {
  const sdk = client();
  const thread = await sdk.threads.create();
  const parts = await collect(sdk.runs.stream(thread.thread_id, GRAPH, { input, streamMode }));
  const state = await sdk.threads.getState(thread.thread_id);
  return { parts, state, thread };
}

test("values: the whole state after every step", async () => {
  const { parts, state } = await streamRun("values");
  const values = parts.filter((p) => p.event === "values");
  assert.deepEqual(values.map((p) => p.data.messages.length), [1, 2, 3, 4]);
  assert.deepEqual(values.at(-1).data, state.values);
});

test("updates: each node's output", async () => {
  const { parts } = await streamRun("updates");
  assert.deepEqual(parts.filter((p) => p.event === "updates").map((p) => Object.keys(p.data)[0]), ["agent", "tools", "agent"]);
});

test("messages-tuple: the answer as token chunks of one message id, adding up to the answer", async () => {
  await withSlowModel({ chunkDelayMs: 5 }, async () => {
    const { parts, state } = await streamRun("messages-tuple");
    const answer = state.values.messages.at(-1);
    const messages = assemble(parts);
    const streamed = messages.get(answer.id);

    assert.ok(streamed.types.length > 1, "more than one chunk");
    assert.deepEqual([...new Set(streamed.types)], ["AIMessageChunk"]);
    assert.equal(streamed.content, answer.content);
    assert.equal(streamed.metadata.langgraph_node, "agent");
    const toolCall = messages.get(state.values.messages[1].id);
    assert.equal(toolCall.toolCallChunks[0].name, "search_documents", "tool calls stream as tool_call_chunks");
    assert.equal(messages.get(state.values.messages[2].id).types[0], "tool", "the tool result comes whole");
  });
});

test("messages (legacy): metadata, partial and complete", async () => {
  const { parts, state } = await streamRun("messages");
  const answer = state.values.messages.at(-1);
  const partials = parts.filter((p) => p.event === "messages/partial" && p.data[0].id === answer.id);
  const complete = parts.find((p) => p.event === "messages/complete" && p.data[0].id === answer.id);

  assert.ok(parts.some((p) => p.event === "messages/metadata" && p.data[answer.id]));
  assert.ok(partials.length > 0);
  assert.equal(partials.at(-1).data[0].content, answer.content);
  assert.equal(complete.data[0].content, answer.content);
});

test("custom: one usage event per model call", async () => {
  const { parts } = await streamRun("custom");
  const usage = parts.filter((p) => p.event === "custom").map((p) => p.data);
  assert.equal(usage.length, 2);
  assert.ok(usage.every((u) => u.type === "model_call" && u.input_tokens > 0 && u.model === "gpt-4o-mini"));
});

test("debug, tasks and checkpoints", async () => {
  const { parts } = await streamRun(["debug", "tasks", "checkpoints"]);
  const debug = parts.filter((p) => p.event === "debug").map((p) => p.data);
  const checkpoints = parts.filter((p) => p.event === "checkpoints").map((p) => p.data);
  const tasks = parts.filter((p) => p.event === "tasks").map((p) => p.data);

  assert.deepEqual([...new Set(debug.map((d) => d.type))].sort(), ["checkpoint", "task", "task_result"]);
  // LangGraph's order: the input checkpoint (values before the input), then one per step from __start__ on.
  assert.equal(checkpoints.length, 5);
  assert.deepEqual(checkpoints.map((c) => [c.metadata.source, c.metadata.step]), [["input", -1], ["loop", 0], ["loop", 1], ["loop", 2], ["loop", 3]]);
  assert.deepEqual(checkpoints.map((c) => c.values.messages.length), [0, 1, 2, 3, 4]);
  assert.deepEqual(checkpoints.slice(0, 2).map((c) => c.next), [["__start__"], ["agent"]]);
  assert.deepEqual(checkpoints.at(-1).next, []);
  for (let i = 1; i < checkpoints.length; i++) {
    assert.equal(checkpoints[i].parent_config.configurable.checkpoint_id, checkpoints[i - 1].config.configurable.checkpoint_id);
  }
  assert.deepEqual(debug.filter((d) => d.type === "checkpoint").map((d) => d.payload.metadata.source), ["input", "loop", "loop", "loop", "loop"]);
  const results = tasks.filter((t) => "result" in t);
  assert.deepEqual(results.map((t) => t.name), ["agent", "tools", "agent"]);
  // LangGraph 1.x: the result maps each written channel to its write.
  assert.deepEqual(results.map((t) => Object.keys(t.result)), [["messages"], ["messages"], ["messages"]]);
  assert.deepEqual(results.map((t) => t.result.messages.map((m) => m.type)), [["ai"], ["tool"], ["ai"]]);
});

test("several modes at once, each event in its own mode", async () => {
  const { parts } = await streamRun(["values", "updates", "messages-tuple", "custom"]);
  const events = new Set(parts.map((p) => p.event));
  assert.deepEqual([...events].sort(), ["custom", "messages", "metadata", "updates", "values"]);
});

test("a failing run ends the stream with an error event", async () => {
  const sdk = client();
  const assistant = await sdk.assistants.create({ graphId: GRAPH, config: { recursion_limit: 1 } });
  const parts = await collect(sdk.runs.stream(null, assistant.assistant_id, { input: question("What does VACUUM do?") }));
  assert.equal(parts.at(-1).event, "error");
  assert.equal(parts.at(-1).data.error, "GraphRecursionError");
  await sdk.assistants.delete(assistant.assistant_id);
});

test("events: astream_events v2 per node, model call and tool call, the answer's tokens as on_chat_model_stream", async () => {
  await withSlowModel({ chunkDelayMs: 5 }, async () => {
    const { parts, state } = await streamRun(["events"]);
    const events = parts.filter((p) => p.event === "events").map((p) => p.data);
    const kinds = events.map((e) => `${e.event}:${e.name}`);
    const answer = state.values.messages.at(-1);

    // agent (tool call), tools, agent (answer): each node opens and closes once, in order.
    assert.deepEqual(
      kinds.filter((k) => k.startsWith("on_chain_")),
      ["on_chain_start:agent", "on_chain_end:agent", "on_chain_start:tools", "on_chain_end:tools", "on_chain_start:agent", "on_chain_end:agent"],
    );
    assert.equal(kinds.filter((k) => k === "on_chat_model_start:ChatModel").length, 2);
    assert.equal(kinds.filter((k) => k === "on_chat_model_end:ChatModel").length, 2);
    assert.deepEqual(kinds.filter((k) => k.startsWith("on_tool_")), ["on_tool_start:search_documents", "on_tool_end:search_documents"]);
    const streamed = events.filter((e) => e.event === "on_chat_model_stream" && e.data.chunk.id === answer.id).map((e) => e.data.chunk.content).join("");
    assert.equal(streamed, answer.content, "the answer's tokens add up to the answer");
    assert.equal(events.find((e) => e.event === "on_tool_end").data.output.type, "tool");
    assert.ok(events.every((e) => e.metadata.langgraph_node && e.run_id), "each event names its node and run");
  });
});
