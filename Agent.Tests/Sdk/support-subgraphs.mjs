// Subgraphs through the official LangGraph JS SDK: the sample's graph "ticket" (samples/SupportAgent/TicketGraphs.cs)
// runs "research" as its node research, which runs "lookup" as its node lookup. Run by
// Agent.Tests/Samples/SupportSample_Specs.cs, whose fake model holds research's summarize call for this ticket until
// this script opens the gate "summarize".
//   QUESTION   the ticket (the fixture's fake model recognises it)
import assert from "node:assert/strict";
import { client, question, collect, until, openGate, lastMessage } from "./lib.mjs";

const sdk = client();
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

// The catalogue (GET /assistants/{id}/subgraphs[/{namespace}]?recurse): a namespace is the node that runs a subgraph,
// nested ones joined by "|", each with the subgraph's schemas.
const direct = await sdk.assistants.getSubgraphs("ticket");
assert.deepEqual(Object.keys(direct), ["research"], JSON.stringify(direct));
assert.equal(direct.research.graph_id, "research");
assert.ok("notes" in direct.research.state_schema.properties, JSON.stringify(direct.research.state_schema));
const all = await sdk.assistants.getSubgraphs("ticket", { recurse: true });
assert.deepEqual(Object.keys(all).sort(), ["research", "research|lookup"], JSON.stringify(Object.keys(all)));
assert.equal(all["research|lookup"].graph_id, "lookup");
const nestedOnly = await sdk.assistants.getSubgraphs("ticket", { namespace: "research|lookup" });
assert.deepEqual(Object.keys(nestedOnly), ["research|lookup"]);
assert.equal(nestedOnly["research|lookup"].graph_id, "lookup");
const researchOnly = await sdk.assistants.getSubgraphs("ticket", { namespace: "research" });
assert.deepEqual(Object.keys(researchOnly), ["research"]);
assert.deepEqual(await sdk.assistants.getSubgraphs("lookup"), {}, "lookup runs no subgraph");

// A run streamed with streamSubgraphs: its subgraphs' updates come as updates|<namespace>.
const thread = await sdk.threads.create();
const streaming = collect(sdk.runs.stream(thread.thread_id, "ticket", {
  input: question(process.env.QUESTION),
  streamMode: ["updates"],
  streamSubgraphs: true,
}));
streaming.catch(() => {}); // awaited below; a failure meanwhile must not end the script before the gate opens

// While summarize waits for the model, the thread's head is before research, and with subgraphs its pending task
// carries research's own state: after lookup, with the tool results, summarize next.
let held;
try {
  held = await until(
    () => sdk.threads.getState(thread.thread_id, undefined, { subgraphs: true }),
    (s) => s.tasks?.[0]?.state?.next?.[0] === "summarize",
    "research's state, waiting at summarize",
    60_000,
  );
} finally {
  await openGate("summarize");
}

assert.deepEqual(held.next, ["research"]);
assert.equal(held.tasks.length, 1);
const [task] = held.tasks;
assert.equal(task.name, "research");
const researchNs = task.checkpoint.checkpoint_ns;
assert.match(researchNs, new RegExp(`^research:${UUID}$`), "LangGraph's namespace: node:task_id");
assert.equal(task.state.checkpoint.checkpoint_ns, researchNs);
assert.equal(task.state.checkpoint.checkpoint_id, task.checkpoint.checkpoint_id);
assert.equal(task.state.metadata.step, 1, "research's own steps: __start__ (0), lookup (1)");
const researchTools = task.state.values.messages.filter((m) => m.type === "tool").map((m) => m.name);
assert.deepEqual(researchTools.sort(), ["plan_quota", "search_documents"], "lookup's tool results are research's state");
assert.equal(held.values.messages.filter((m) => m.type === "tool").length, 0, "the ticket's own state has none yet");
const plain = await sdk.threads.getState(thread.thread_id);
assert.equal(plain.tasks[0]?.state?.values, undefined, "without subgraphs, no subgraph state");

const parts = await streaming;
const updates = {};
for (const part of parts) {
  const [mode, ...ns] = part.event.split("|");
  if (mode !== "updates") continue;
  (updates[ns.join("|")] ??= []).push(...Object.keys(part.data));
}
const lookupNs = Object.keys(updates).find((ns) => ns.startsWith(`${researchNs}|`));
assert.match(lookupNs ?? "", new RegExp(`^research:${UUID}\\|lookup:${UUID}$`), JSON.stringify(Object.keys(updates)));
assert.deepEqual(Object.keys(updates).sort(), ["", researchNs, lookupNs].sort(), JSON.stringify(updates));
assert.deepEqual(updates[""], ["research", "reply"], "the ticket's nodes");
assert.deepEqual(updates[researchNs], ["lookup", "summarize"], "research's nodes, in its namespace");
assert.deepEqual(updates[lookupNs], ["search", "tools"], "lookup's nodes, in the nested namespace");
const summarized = parts.find((p) => p.event === `updates|${researchNs}` && p.data.summarize).data.summarize;
const research = parts.find((p) => p.event === "updates" && p.data.research).data.research;
assert.ok(summarized.notes.length > 0, JSON.stringify(summarized));
assert.equal(research.notes, summarized.notes, "the parent's research update carries what the subgraph changed");
assert.deepEqual(research.messages.map((m) => m.type), ["ai", "tool", "tool"], "the tool call and its two results");

// Done: the head is past research, nothing pending; the notes and the subgraph's messages are the ticket's.
const state = await sdk.threads.getState(thread.thread_id, undefined, { subgraphs: true });
assert.deepEqual(state.next, []);
assert.deepEqual(state.tasks, []);
assert.equal(state.values.notes, summarized.notes);
const reply = lastMessage(state.values);
assert.equal(reply.type, "ai");
assert.ok(reply.content.includes(summarized.notes), reply.content);
const history = await sdk.threads.getHistory(thread.thread_id, { limit: 50 });
assert.deepEqual(history.map((s) => s.metadata.node ?? s.metadata.source).reverse(), ["input", "__start__", "research", "reply"],
  "history is the ticket's own graph");

// Without streamSubgraphs the subgraphs' steps are not streamed; the parent's update still carries their result.
const other = await sdk.threads.create();
const quiet = await collect(sdk.runs.stream(other.thread_id, "ticket", { input: question(process.env.QUESTION), streamMode: ["updates"] }));
assert.deepEqual(quiet.filter((p) => p.event.startsWith("updates")).map((p) => `${p.event}:${Object.keys(p.data)}`),
  ["updates:research", "updates:reply"]);
console.log(JSON.stringify({ thread_id: thread.thread_id, researchNs, lookupNs, updates, notes: summarized.notes }));
