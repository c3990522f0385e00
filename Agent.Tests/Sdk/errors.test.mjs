// Error bodies as the Python LangGraph Agent Server words them (docs/api.md, "Error bodies"): the SDK's HTTPError
// carries the status and the body's text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { client, question, GRAPH } from "./lib.mjs";

function rejectsWith(status, detail) {
  return (error) => {
    assert.equal(error.status, status, error.message);
    assert.deepEqual(JSON.parse(error.text), { detail });
    return true;
  };
}

test("a thread, assistant or run that is not there is 404 Not Found", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  await assert.rejects(sdk.threads.get(randomUUID()), rejectsWith(404, "Not Found"));
  await assert.rejects(sdk.threads.getState(randomUUID()), rejectsWith(404, "Not Found"));
  await assert.rejects(sdk.assistants.get(randomUUID()), rejectsWith(404, "Not Found"));
  await assert.rejects(sdk.runs.get(thread.thread_id, randomUUID()), rejectsWith(404, "Not Found"));
  await assert.rejects(sdk.runs.list(randomUUID()), rejectsWith(404, "Not Found"));
});

test("a run on a missing thread or with a missing assistant is 404 Thread or assistant not found.", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  await assert.rejects(sdk.runs.create(randomUUID(), GRAPH, { input: question("hi") }), rejectsWith(404, "Thread or assistant not found."));
  await assert.rejects(sdk.runs.create(thread.thread_id, randomUUID(), { input: question("hi") }), rejectsWith(404, "Thread or assistant not found."));
});

test("a create whose id is taken is 409 Conflict", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  const assistant = await sdk.assistants.create({ graphId: GRAPH });

  await assert.rejects(sdk.threads.create({ threadId: thread.thread_id }), rejectsWith(409, "Conflict"));
  await assert.rejects(sdk.assistants.create({ graphId: GRAPH, assistantId: assistant.assistant_id }), rejectsWith(409, "Conflict"));
  await sdk.assistants.delete(assistant.assistant_id);
});

test("a malformed id in the path is 422 Invalid ... ID: must be a UUID", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  await assert.rejects(sdk.threads.get("not-a-uuid"), rejectsWith(422, "Invalid thread ID: must be a UUID"));
  await assert.rejects(sdk.runs.get(thread.thread_id, "not-a-uuid"), rejectsWith(422, "Invalid run ID: must be a UUID"));
  await assert.rejects(sdk.threads.create({ threadId: "not-a-uuid" }), rejectsWith(422, "Invalid thread ID: must be a UUID"));
});
