import { test } from "node:test";
import assert from "node:assert/strict";
import { client, question, GRAPH, SYSTEM_ASSISTANT_ID } from "./lib.mjs";

test("crons.create, search, count, update and delete", async () => {
  const sdk = client();
  const cron = await sdk.crons.create(GRAPH, {
    schedule: "27 15 * * *",
    input: question("What does VACUUM do?"),
    metadata: { suite: "sdk-crons" },
  });

  const found = await sdk.crons.search({ assistantId: SYSTEM_ASSISTANT_ID, limit: 100 });
  const count = await sdk.crons.count({ assistantId: SYSTEM_ASSISTANT_ID });
  const disabled = await sdk.crons.update(cron.cron_id, { enabled: false, schedule: "0 9 * * 1" });
  await sdk.crons.delete(cron.cron_id);
  const after = await sdk.crons.search({ assistantId: SYSTEM_ASSISTANT_ID, limit: 100 });

  assert.equal(cron.schedule, "27 15 * * *");
  assert.equal(cron.thread_id, null);
  assert.equal(cron.on_run_completed, "delete");
  assert.equal(cron.enabled, true);
  assert.match(new Date(cron.next_run_date).toISOString(), /T15:27:00/);
  assert.deepEqual(cron.payload.input, question("What does VACUUM do?"));
  assert.ok(found.some((c) => c.cron_id === cron.cron_id));
  assert.ok(count >= 1);
  assert.equal(disabled.enabled, false);
  assert.equal(disabled.schedule, "0 9 * * 1");
  assert.ok(!after.some((c) => c.cron_id === cron.cron_id));
});

test("crons.createForThread runs on one thread; a bad schedule is refused", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();

  const cron = await sdk.crons.createForThread(thread.thread_id, GRAPH, { schedule: "*/5 * * * *", input: question("x") });
  const byThread = await sdk.crons.search({ threadId: thread.thread_id });

  assert.equal(cron.thread_id, thread.thread_id);
  assert.deepEqual(byThread.map((c) => c.cron_id), [cron.cron_id]);
  await assert.rejects(sdk.crons.create(GRAPH, { schedule: "every tuesday" }), (error) => error.status === 422);
  await sdk.crons.delete(cron.cron_id);
});
