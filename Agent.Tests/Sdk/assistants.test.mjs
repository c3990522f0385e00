import { test } from "node:test";
import assert from "node:assert/strict";
import { client, question, GRAPH, SYSTEM_ASSISTANT_ID } from "./lib.mjs";

test("assistants.search finds the graph's system assistant by graph and by metadata", async () => {
  const sdk = client();

  const byGraph = await sdk.assistants.search({ graphId: GRAPH, limit: 100 });
  const bySystem = await sdk.assistants.search({ metadata: { created_by: "system" } });
  const paged = await sdk.assistants.search({ graphId: GRAPH, limit: 1, includePagination: true });

  assert.ok(byGraph.some((a) => a.assistant_id === SYSTEM_ASSISTANT_ID));
  assert.deepEqual(bySystem.map((a) => a.assistant_id), [SYSTEM_ASSISTANT_ID]);
  assert.equal(bySystem[0].graph_id, GRAPH);
  assert.equal(paged.assistants.length, 1);
});

test("assistants.create/update/getVersions/getGraph/getSchemas/count/delete, and runs use the assistant's config", async () => {
  const sdk = client();
  const assistant = await sdk.assistants.create({
    graphId: GRAPH,
    name: "one step",
    config: { recursion_limit: 1 },
    metadata: { suite: "sdk-assistants" },
  });
  const updated = await sdk.assistants.update(assistant.assistant_id, { metadata: { more: true } });
  const versions = await sdk.assistants.getVersions(assistant.assistant_id);
  const graph = await sdk.assistants.getGraph(assistant.assistant_id);
  const schemas = await sdk.assistants.getSchemas(assistant.assistant_id);
  const count = await sdk.assistants.count({ metadata: { suite: "sdk-assistants" } });

  // recursion_limit 1: the run stops after its first step, and wait raises the run's error.
  await assert.rejects(sdk.runs.wait(null, assistant.assistant_id, { input: question("What does VACUUM do?") }), /GraphRecursionError/);
  await sdk.assistants.delete(assistant.assistant_id);

  assert.equal(updated.version, 2);
  assert.deepEqual(updated.metadata, { suite: "sdk-assistants", more: true });
  assert.deepEqual(versions.map((v) => v.version), [2, 1]);
  assert.deepEqual(graph.nodes.map((n) => n.id), ["__start__", "agent", "tools", "__end__"]);
  assert.ok(schemas.state_schema.properties.messages);
  assert.equal(count, 1);
  await assert.rejects(sdk.assistants.get(assistant.assistant_id), (error) => error.status === 404);
});

test("the shared system assistant cannot be changed", async () => {
  await assert.rejects(client().assistants.update(SYSTEM_ASSISTANT_ID, { name: "mine" }), (error) => error.status === 409);
});
