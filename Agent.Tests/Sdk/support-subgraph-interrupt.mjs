// An interrupt inside a subgraph, through the official LangGraph JS SDK: the sample's "ticket" graph
// (samples/SupportAgent/TicketGraphs.cs) runs research, which runs lookup, whose search node asks for the customer's
// plan when the ticket names none. LangGraph surfaces the question on the parent thread and resumes into the subgraph.
// Run by Agent.Tests/Samples/SupportSample_Specs.cs.
//   QUESTION   a ticket that names no plan
import assert from "node:assert/strict";
import { client, question, lastMessage } from "./lib.mjs";

const sdk = client();
const thread = await sdk.threads.create();

// The question two subgraphs deep pauses the whole run; the thread shows it on its pending task, research.
const paused = await sdk.runs.wait(thread.thread_id, "ticket", { input: question(process.env.QUESTION) });
assert.equal(paused.__interrupt__?.length, 1, JSON.stringify(paused));
const [asked] = paused.__interrupt__;
assert.match(asked.value.question, /Which plan is the customer on/);
assert.equal(asked.value.ticket, process.env.QUESTION);
assert.equal((await sdk.threads.get(thread.thread_id)).status, "interrupted");
const waiting = await sdk.threads.getState(thread.thread_id, undefined, { subgraphs: true });
assert.deepEqual(waiting.next, ["research"]);
assert.equal(waiting.tasks.length, 1);
assert.equal(waiting.tasks[0].name, "research");
assert.deepEqual(waiting.tasks[0].interrupts.map((i) => i.id), [asked.id], "the subgraph's interrupt, on the parent's task");
assert.deepEqual(waiting.interrupts.map((i) => i.id), [asked.id]);
assert.deepEqual(waiting.tasks[0].state.next, ["lookup"], "research waits inside lookup");
const researchNs = waiting.tasks[0].checkpoint.checkpoint_ns;

// The answer resumes into lookup: search runs again, gets it, and the ticket goes on to the end.
const done = await sdk.runs.wait(thread.thread_id, "ticket", { command: { resume: "We are on the Enterprise plan." } });
assert.equal(done.__interrupt__, undefined, JSON.stringify(done.__interrupt__));
assert.equal((await sdk.threads.get(thread.thread_id)).status, "idle");
const state = await sdk.threads.getState(thread.thread_id);
const quota = state.values.messages.find((m) => m.type === "tool" && m.name === "plan_quota");
assert.equal(JSON.parse(quota.content).plan, "enterprise", quota.content);
assert.match(state.values.notes, /^Plan enterprise: 1000 restores per day/, state.values.notes);
assert.equal(lastMessage(done).type, "ai");
assert.ok(lastMessage(done).content.includes(state.values.notes), lastMessage(done).content);
const history = await sdk.threads.getHistory(thread.thread_id, { limit: 50 });
assert.deepEqual(history.map((s) => s.metadata.node ?? s.metadata.source).reverse(), ["input", "__start__", "research", "reply"]);
console.log(JSON.stringify({ thread_id: thread.thread_id, researchNs, asked: asked.value.question, notes: state.values.notes }));
