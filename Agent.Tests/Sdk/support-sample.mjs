// The sample agent (samples/SupportAgent) through the official LangGraph JS SDK, as a user of the deployed sample
// would drive it. Run by Agent.Tests/Samples/SupportSample_Specs.cs, which kills the worker with SIGKILL while this
// script streams the run; the stream must still end with the answer, each node reported once.
//   QUESTION   the question to ask (the fixture's fake model recognises it)
import assert from "node:assert/strict";
import { client, question, collect, lastMessage } from "./lib.mjs";

const sdk = client();

// Both graphs the sample's worker registered are deployed, each as a system assistant.
const assistants = await sdk.assistants.search({ limit: 100 });
const graphs = new Set(assistants.map((a) => a.graph_id));
assert.ok(graphs.has("agent") && graphs.has("support"), `assistants: ${[...graphs].join(", ")}`);
const graph = await sdk.assistants.getGraph(assistants.find((a) => a.graph_id === "support").assistant_id);
assert.deepEqual(
  graph.nodes.map((n) => n.id),
  ["__start__", "triage", "clarify", "greet", "retrieve", "tools", "agent", "__end__"],
  "the support graph as declared",
);

const thread = await sdk.threads.create();
const parts = await collect(
  sdk.runs.stream(thread.thread_id, "support", { input: question(process.env.QUESTION), streamMode: ["updates"] }),
);
const updates = parts.filter((p) => p.event === "updates").flatMap((p) => Object.keys(p.data));
assert.deepEqual(updates, ["triage", "retrieve", "tools", "agent", "tools", "agent"], "each node's update exactly once, though the worker was killed");

const state = await sdk.threads.getState(thread.thread_id);
assert.equal(state.values.topic, "status", "triage filed the question under status");
const tools = state.values.messages.filter((m) => m.type === "tool");
const byName = Object.fromEntries(tools.map((m) => [m.name, m]));

// retrieve → search_documents ran over the sample's own collection only: Markdown sources, no manual page.
const hits = JSON.parse(byName.search_documents.content).results;
assert.ok(hits.length > 0, "the collection was searched");
assert.ok(hits.every((h) => h.source.endsWith(".md")), `only the sample's collection: ${hits.map((h) => h.source).join(", ")}`);

// The C# tool and the MCP tool answered.
assert.equal(JSON.parse(byName.plan_quota.content).restores_per_day, 50, byName.plan_quota.content);
assert.match(byName.service_status.content, /SK-2041/, "the MCP server's answer");
assert.notEqual(byName.service_status.status, "error", byName.service_status.content);

// The answer cites the collection's first hit.
const answer = lastMessage(state.values);
assert.equal(answer.type, "ai");
assert.ok(answer.content.includes(`[${hits[0].source}]`), answer.content);
console.log(JSON.stringify({ thread_id: thread.thread_id, updates, answer: answer.content }));
