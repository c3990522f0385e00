import { test } from "node:test";
import assert from "node:assert/strict";
import { client, question, until, withSlowModel, GRAPH } from "./lib.mjs";

test("threads.joinStream follows the thread's runs one after the other until the client closes it", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  const parts = [];
  const controller = new AbortController();

  await withSlowModel({ latencyMs: 700 }, async () => {
    // The first run is still running when the client joins; the second, queued behind it, starts after the join.
    const first = await sdk.runs.create(thread.thread_id, GRAPH, { input: question("What does VACUUM do?"), streamMode: ["values"] });
    const joined = (async () => {
      try {
        for await (const part of sdk.threads.joinStream(thread.thread_id, { signal: controller.signal })) parts.push(part);
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    const second = await sdk.runs.create(thread.thread_id, GRAPH, {
      input: question("How do I create a GIN index?"),
      streamMode: ["updates"],
      multitaskStrategy: "enqueue",
    });
    await sdk.runs.join(thread.thread_id, second.run_id);

    const ran = (event) => parts.filter((p) => p.event === "metadata").map((p) => p.data.run_id);
    await until(() => parts, () => ran().length === 2 && parts.at(-1).event === "updates" && "agent" in parts.at(-1).data
      && parts.at(-1).data.agent.messages.at(-1).tool_calls?.length === 0, "both runs on the thread stream");
    controller.abort();
    await joined;

    assert.deepEqual(ran(), [first.run_id, second.run_id], "each run once, in order");
    const firstEvents = parts.slice(1, parts.findIndex((p, i) => i > 0 && p.event === "metadata"));
    assert.ok(firstEvents.every((p) => p.event === "values"), "the first run in its own stream mode");
    assert.ok(firstEvents.at(-1).data.messages.length === 4, "the first run's last values hold its answer");
  });
});

test("threads.joinStream refuses a thread stream mode this server does not serve, and an unknown thread is not found", async () => {
  const sdk = client();
  const thread = await sdk.threads.create();
  const read = async (mode) => {
    for await (const _ of sdk.threads.joinStream(thread.thread_id, { streamMode: mode })) break;
  };
  await assert.rejects(read("lifecycle"), (error) => error.status === 422);
  await assert.rejects(
    (async () => { for await (const _ of sdk.threads.joinStream("00000000-0000-0000-0000-000000000001")) break; })(),
    (error) => error.status === 404,
  );
});
