// A question asked mid-run and answered, through the official LangGraph JS SDK: the sample graph's clarify node
// (samples/SupportAgent) asks the customer to say more when the question is too short. Run by
// Agent.Tests/Samples/SupportSample_Specs.cs.
//   QUESTION   the customer's fuller answer (the fixture's fake model recognises it)
import assert from "node:assert/strict";
import { client, question, lastMessage } from "./lib.mjs";

const sdk = client();
const thread = await sdk.threads.create();

// Too short to act on: the run pauses with the agent's question.
const paused = await sdk.runs.wait(thread.thread_id, "support", { input: question("restore broken") });
assert.equal(paused.__interrupt__.length, 1, JSON.stringify(paused));
const [asked] = paused.__interrupt__;
assert.match(asked.value.question, /tell me a bit more/);
assert.equal(asked.value.asked, "restore broken");
const waiting = await sdk.threads.get(thread.thread_id);
assert.equal(waiting.status, "interrupted");
const pausedState = await sdk.threads.getState(thread.thread_id);
assert.deepEqual(pausedState.next, ["clarify"]);
assert.equal(pausedState.tasks[0].interrupts[0].id, asked.id);

// The customer answers; the run resumes in clarify and goes on to search and answer.
const done = await sdk.runs.wait(thread.thread_id, "support", { command: { resume: process.env.QUESTION } });
const state = await sdk.threads.getState(thread.thread_id);
const finished = await sdk.threads.get(thread.thread_id);
const history = await sdk.threads.getHistory(thread.thread_id, { limit: 50 });

assert.equal(finished.status, "idle");
assert.equal(state.values.topic, "status", "the answer was filed again: a status question");
const humans = state.values.messages.filter((m) => m.type === "human").map((m) => m.content);
assert.deepEqual(humans, ["restore broken", process.env.QUESTION]);
assert.equal(lastMessage(done).type, "ai");
const nodes = history.map((s) => s.metadata.node).reverse();
assert.deepEqual(nodes.filter((n) => n === "triage"), ["triage"], "triage ran once: nothing before the interrupted node ran again");
assert.deepEqual(nodes.filter((n) => n === "clarify"), ["clarify"], "clarify committed once, with the answer");
// A state update may write the graph's own channels, as one of its nodes; others are refused with the graph's lists.
await sdk.threads.updateState(thread.thread_id, { values: { topic: "billing" }, asNode: "triage" });
const updated = await sdk.threads.getState(thread.thread_id);
assert.equal(updated.values.topic, "billing");
await assert.rejects(
  sdk.threads.updateState(thread.thread_id, { values: { mood: "calm" }, asNode: "triage" }),
  (error) => error.status === 422
    && JSON.parse(error.message.replace(/^HTTP \d+: /, "")).detail === "values.mood is not a channel of graph 'support'; its channels: messages, topic.");
console.log(JSON.stringify({ thread_id: thread.thread_id, nodes, answer: lastMessage(done).content }));
