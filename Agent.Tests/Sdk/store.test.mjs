import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { apiUrl, client } from "./lib.mjs";

// Polls fn until it returns true or the deadline passes (a condition, not a fixed sleep).
async function until(fn, timeoutMs = 20000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return fn();
}

test("store.putItem, getItem, searchItems, listNamespaces and deleteItem in LangGraph's shapes", async () => {
  const sdk = client();
  const root = `sdk-${randomUUID().slice(0, 8)}`;

  await sdk.store.putItem([root, "users", "u1"], "prefs", { theme: "dark", language: "en" });
  await sdk.store.putItem([root, "users", "u1"], "notes", { text: "Asked how autovacuum decides when to run" });
  await sdk.store.putItem([root, "users", "u2"], "prefs", { theme: "light", language: "en" });

  const item = await sdk.store.getItem([root, "users", "u1"], "prefs");
  const dark = await sdk.store.searchItems([root], { filter: { theme: "dark" } });
  const english = await sdk.store.searchItems([root, "users"], { filter: { language: "en" }, limit: 1, offset: 1 });
  const vacuum = await sdk.store.searchItems([root], { query: "autovacuum" });
  const namespaces = await sdk.store.listNamespaces({ prefix: [root] });
  const shallow = await sdk.store.listNamespaces({ prefix: [root], maxDepth: 2 });
  const bySuffix = await sdk.store.listNamespaces({ prefix: [root], suffix: ["u2"] });

  assert.deepEqual(item.namespace, [root, "users", "u1"]);
  assert.equal(item.key, "prefs");
  assert.deepEqual(item.value, { theme: "dark", language: "en" });
  assert.ok(!Number.isNaN(Date.parse(item.createdAt)) && !Number.isNaN(Date.parse(item.updatedAt)));
  assert.deepEqual(dark.items.map((i) => i.key), ["prefs"]);
  assert.deepEqual(dark.items[0].namespace, [root, "users", "u1"]);
  assert.equal(dark.items[0].score, undefined);
  assert.equal(english.items.length, 1);
  assert.deepEqual(vacuum.items.map((i) => i.key), ["notes"]);
  assert.ok(vacuum.items[0].score > 0);
  assert.deepEqual(namespaces.namespaces, [[root, "users", "u1"], [root, "users", "u2"]]);
  assert.deepEqual(shallow.namespaces, [[root, "users"]]);
  assert.deepEqual(bySuffix.namespaces, [[root, "users", "u2"]]);

  await sdk.store.deleteItem([root, "users", "u1"], "prefs");
  await assert.rejects(sdk.store.getItem([root, "users", "u1"], "prefs"), (error) => error.status === 404);
  const left = await sdk.store.searchItems([root], { limit: 100 });
  assert.deepEqual(left.items.map((i) => i.key).sort(), ["notes", "prefs"]);
});

test("store items with a ttl refresh on read and expire; other items stay", async () => {
  const sdk = client();
  const root = `sdk-ttl-${randomUUID().slice(0, 8)}`;

  await sdk.store.putItem([root, "session"], "scratch", { step: 1 }, { ttl: 0.02 }); // 1.2 s
  await sdk.store.putItem([root, "session"], "kept", { step: 2 }, { ttl: 60 });
  await sdk.store.putItem([root, "profile"], "name", { name: "Ann" });

  const fresh = await sdk.store.getItem([root, "session"], "scratch", { refreshTtl: true });
  assert.deepEqual(fresh.value, { step: 1 });

  const expired = await until(async () => {
    try {
      await sdk.store.getItem([root, "session"], "scratch", { refreshTtl: false });
      return false;
    } catch (error) {
      if (error.status === 404) return true;
      throw error;
    }
  });
  const left = await sdk.store.searchItems([root], { limit: 10 });
  const namespaces = await sdk.store.listNamespaces({ prefix: [root] });

  assert.ok(expired, "the item with a 1.2 s ttl expired");
  assert.deepEqual(left.items.map((i) => i.key).sort(), ["kept", "name"]);
  assert.deepEqual(namespaces.namespaces, [[root, "profile"], [root, "session"]]);
});

test("the SDK's own check and the server both refuse a namespace label with a period", async () => {
  const sdk = client();
  await assert.rejects(sdk.store.putItem(["a.b"], "k", {}), /periods/);
  const response = await fetch(`${apiUrl}/store/items`, {
    method: "PUT",
    headers: { "content-type": "application/json", "x-api-key": process.env.AGENT_API_KEY ?? "" },
    body: JSON.stringify({ namespace: ["a.b"], key: "k", value: {} }),
  });
  assert.equal(response.status, 422);
  assert.match((await response.json()).detail, /periods/);
});
