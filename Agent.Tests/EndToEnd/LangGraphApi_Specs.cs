using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Agent.Worker.Webhooks;
using Microsoft.EntityFrameworkCore;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.EndToEnd;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_the_LangGraph_API_is_used_over_http
{
    private const string SystemAssistantId = "fe096781-5601-53d2-b2f6-0d3403f7e9ca";
    private const string SigningSecret = "e2e-webhook-secret";
    private AgentSystem system = null!;
    private WebhookReceiver receiver = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        // The receiver listens on loopback, which webhooks may reach only when configured so.
        system = await AgentSystem.StartAsync(
            apiCount: 1,
            new Dictionary<string, string?>
            {
                ["AgentWorker__SchedulerIntervalMs"] = "200",
                ["Webhooks__AllowPrivateNetworks"] = "true",
                ["Webhooks__SigningSecret"] = SigningSecret,
                ["Webhooks__RetryBaseDelayMs"] = "50",
            },
            new Dictionary<string, string?> { ["Webhooks__AllowPrivateNetworks"] = "true" });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await system.DisposeAsync();
        await receiver.DisposeAsync();
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(system.Logs());
        }
    }

    [Test]
    public async Task Should_create_version_search_and_delete_an_assistant_whose_config_its_runs_use()
    {
        using var client = system.Client();
        var created = await PostJsonAsync(client, "/assistants", """
            {"graph_id":"agent","name":"one step","config":{"recursion_limit":1,"configurable":{"tools":["search_documents"]}},
             "metadata":{"team":"docs-e2e"}}
            """);
        var id = created["assistant_id"]!.GetValue<string>();

        var patched = await SendJsonAsync(client, HttpMethod.Patch, $"/assistants/{id}", """{"name":"one step v2","metadata":{"tier":"gold"}}""");
        var found = (await PostJsonAsync(client, "/assistants/search", """{"metadata":{"team":"docs-e2e"}}""")).AsArray();
        var count = await PostJsonAsync(client, "/assistants/count", """{"graph_id":"agent"}""");
        var versions = (await PostJsonAsync(client, $"/assistants/{id}/versions", "{}")).AsArray();
        var restored = await PostJsonAsync(client, $"/assistants/{id}/latest", """{"version":1}""");
        var result = await PostJsonAsync(client, "/runs/wait", RunBody(GinQuestion).Replace("\"agent\"", $"\"{id}\"", StringComparison.Ordinal));
        using var systemPatch = await SendAsync(client, HttpMethod.Patch, $"/assistants/{SystemAssistantId}", """{"name":"mine"}""");
        using var deleted = await SendAsync(client, HttpMethod.Delete, $"/assistants/{id}", null);
        using var gone = await client.GetAsync(new Uri($"/assistants/{id}", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(created["version"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(patched["version"]!.GetValue<int>(), Is.EqualTo(2));
            Assert.That(patched["metadata"]!.ToJsonString(), Does.Contain("docs-e2e").And.Contain("gold"), "metadata is merged");
            Assert.That(found.Select(a => a!["assistant_id"]!.GetValue<string>()), Is.EqualTo(new[] { id }));
            Assert.That(count.GetValue<int>(), Is.GreaterThanOrEqualTo(2), "the system assistant and the new one");
            Assert.That(versions.Select(v => v!["version"]!.GetValue<int>()), Is.EqualTo(new[] { 2, 1 }));
            Assert.That(restored["name"]!.GetValue<string>(), Is.EqualTo("one step"));
            Assert.That(result["__error__"]?["error"]?.GetValue<string>(), Is.EqualTo("GraphRecursionError"),
                "the assistant's recursion_limit of 1 stops the run after one step");
            Assert.That(systemPatch.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }

    [TestCase("""{"graph_id":"agent","config":{"configurable":{"tools":["rm_rf"]}}}""", "config.configurable.tools")]
    [TestCase("""{"graph_id":"agent","config":{"temperature":2}}""", "config.temperature")]
    [TestCase("""{"graph_id":"nope"}""", "Graph 'nope' not found")]
    public async Task Should_refuse_a_bad_assistant_with_a_detail_naming_the_field(string body, string detail)
    {
        using var client = system.Client();

        using var response = await PostAsync(client, "/assistants", body);

        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That((int)response.StatusCode, Is.InRange(400, 499));
            Assert.That(problem["detail"]!.GetValue<string>(), Does.Contain(detail));
        }
    }

    [Test]
    public async Task Should_find_an_assistant_by_a_name_that_contains_LIKE_wildcards_literally()
    {
        // LangGraph matches the name as a substring; '_' and '%' in it are the name's own characters, not wildcards.
        using var client = system.Client();
        var exact = (await PostJsonAsync(client, "/assistants", """{"graph_id":"agent","name":"Zq_Probe_8078 100%"}"""))["assistant_id"]!;
        await PostJsonAsync(client, "/assistants", """{"graph_id":"agent","name":"ZqXProbeX8078 1000"}""");

        var byUnderscore = (await PostJsonAsync(client, "/assistants/search", """{"name":"zq_probe_8078"}""")).AsArray();
        var byPercent = (await PostJsonAsync(client, "/assistants/search", """{"name":"8078 100%"}""")).AsArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byUnderscore.Select(a => a!["assistant_id"]!.GetValue<string>()), Is.EqualTo(new[] { exact.GetValue<string>() }));
            Assert.That(byPercent.Select(a => a!["assistant_id"]!.GetValue<string>()), Is.EqualTo(new[] { exact.GetValue<string>() }));
        }
    }

    [Test]
    public async Task Should_search_count_patch_copy_and_delete_threads_stamped_by_their_runs()
    {
        using var client = system.Client();
        var threadId = (await PostJsonAsync(client, "/threads", """{"metadata":{"user":"thread-e2e"}}"""))["thread_id"]!.GetValue<string>();
        await PostJsonAsync(client, $"/threads/{threadId}/runs/wait", RunBody("What does VACUUM do?"));

        var byMetadata = (await PostJsonAsync(client, "/threads/search", """{"metadata":{"graph_id":"agent","user":"thread-e2e"}}""")).AsArray();
        var byStatus = (await PostJsonAsync(client, "/threads/search", $$"""{"ids":["{{threadId}}"],"status":"idle","select":["thread_id","status"]}""")).AsArray();
        var counted = await PostJsonAsync(client, "/threads/count", """{"metadata":{"user":"thread-e2e"}}""");
        var patched = await SendJsonAsync(client, HttpMethod.Patch, $"/threads/{threadId}", """{"metadata":{"label":"x"}}""");
        var copy = await PostJsonAsync(client, $"/threads/{threadId}/copy", "{}");
        using var deleted = await SendAsync(client, HttpMethod.Delete, $"/threads/{threadId}", null);
        using var gone = await client.GetAsync(new Uri($"/threads/{threadId}", UriKind.Relative));
        var copied = await GetJsonAsync(client, $"/threads/{copy["thread_id"]!.GetValue<string>()}/state");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(byMetadata.Single()!["metadata"]!["assistant_id"]!.GetValue<string>(), Is.EqualTo(SystemAssistantId));
            Assert.That(byMetadata.Single()!["values"]!["messages"]!.AsArray(), Has.Count.EqualTo(4));
            Assert.That(byStatus.Single()!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "thread_id", "status" }));
            Assert.That(counted.GetValue<int>(), Is.EqualTo(1));
            Assert.That(patched["metadata"]!["user"]!.GetValue<string>(), Is.EqualTo("thread-e2e"), "metadata is merged");
            Assert.That(patched["metadata"]!["label"]!.GetValue<string>(), Is.EqualTo("x"));
            Assert.That(copy["thread_id"]!.GetValue<string>(), Is.Not.EqualTo(threadId));
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(copied["values"]!["messages"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()),
                Is.EqualTo(new[] { "human", "ai", "tool", "ai" }), "the copy keeps the state after the original is gone");
        }
    }

    [Test]
    public async Task Should_list_history_newest_first_update_state_and_run_again_from_an_earlier_checkpoint()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        await PostJsonAsync(client, $"/threads/{threadId}/runs/wait", RunBody(GinQuestion));

        var history = (await PostJsonAsync(client, $"/threads/{threadId}/history", """{"limit":10}""")).AsArray();
        // history[^1] is the run's input checkpoint (the values before the input); history[^2] has the input applied.
        var start = history[^2]!["checkpoint"]!["checkpoint_id"]!.GetValue<string>();
        var newest = history[0]!["checkpoint"]!["checkpoint_id"]!.GetValue<string>();
        var older = (await PostJsonAsync(client, $"/threads/{threadId}/history", new JsonObject
        {
            ["before"] = new JsonObject { ["checkpoint_id"] = newest },
        }.ToJsonString())).AsArray();
        var update = await PostJsonAsync(client, $"/threads/{threadId}/state", """{"values":{"messages":[{"role":"user","content":"a note"}]}}""");
        var afterUpdate = await GetJsonAsync(client, $"/threads/{threadId}/state");
        // Regenerate: run again from the checkpoint with the input applied, without new input; the answer replaces the
        // old branch.
        var forked = await PostJsonAsync(client, $"/threads/{threadId}/runs/wait", $$"""{"assistant_id":"agent","checkpoint_id":"{{start}}"}""");
        var finalHistory = (await GetJsonAsync(client, $"/threads/{threadId}/history?limit=100")).AsArray();
        var finalState = await GetJsonAsync(client, $"/threads/{threadId}/state");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(history, Has.Count.EqualTo(5));
            Assert.That(history.Select(s => s!["values"]!["messages"]!.AsArray().Count), Is.EqualTo(new[] { 4, 3, 2, 1, 0 }), "newest first");
            for (var i = 0; i < history.Count - 1; i++)
            {
                Assert.That(history[i]!["parent_checkpoint"]!["checkpoint_id"]!.GetValue<string>(),
                    Is.EqualTo(history[i + 1]!["checkpoint"]!["checkpoint_id"]!.GetValue<string>()));
            }

            Assert.That(history[0]!["next"]!.AsArray(), Is.Empty);
            Assert.That(history[1]!["next"]!.AsArray().Single()!.GetValue<string>(), Is.EqualTo("agent"));
            Assert.That(older, Has.Count.EqualTo(4));
            Assert.That(afterUpdate["checkpoint"]!["checkpoint_id"]!.GetValue<string>(),
                Is.EqualTo(update["checkpoint"]!["checkpoint_id"]!.GetValue<string>()));
            Assert.That(afterUpdate["values"]!["messages"]!.AsArray()[^1]!["content"]!.GetValue<string>(), Is.EqualTo("a note"));
            Assert.That(forked["messages"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "human", "ai", "tool", "ai" }),
                "the new branch starts at the input: neither the old answer nor the note is in it");
            Assert.That(finalHistory, Has.Count.EqualTo(9), "history keeps every branch: the run's five, the note, the fork's three");
            Assert.That(finalState["values"]!.ToJsonString(), Is.EqualTo(forked.ToJsonString()));
        }
    }

    [Test]
    public async Task Should_filter_history_by_the_metadata_of_the_run_that_wrote_each_checkpoint()
    {
        // LangGraph merges a run's metadata into the metadata of every checkpoint the run writes.
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        await PostJsonAsync(client, $"/threads/{threadId}/runs/wait", AddFields(RunBody(GinQuestion), """{"metadata":{"ticket":"T-1"}}"""));
        await PostJsonAsync(client, $"/threads/{threadId}/runs/wait", AddFields(RunBody("What does VACUUM do?"), """{"metadata":{"ticket":"T-2"}}"""));

        var all = (await GetJsonAsync(client, $"/threads/{threadId}/history?limit=100")).AsArray();
        var first = (await PostJsonAsync(client, $"/threads/{threadId}/history", """{"limit":100,"metadata":{"ticket":"T-1"}}""")).AsArray();
        var second = (await PostJsonAsync(client, $"/threads/{threadId}/history", """{"limit":100,"metadata":{"ticket":"T-2","source":"loop"}}""")).AsArray();
        var none = (await PostJsonAsync(client, $"/threads/{threadId}/history", """{"metadata":{"ticket":"nope"}}""")).AsArray();

        static IEnumerable<string> Ids(JsonArray states) => states.Select(s => s!["checkpoint"]!["checkpoint_id"]!.GetValue<string>());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(all, Has.Count.EqualTo(10));
            Assert.That(Ids(first), Is.EqualTo(Ids(all).Skip(5)), "the first run's input checkpoint, input and three steps, newest first");
            Assert.That(first.Select(s => s!["metadata"]!["run_id"]!.GetValue<string>()).Distinct().Count(), Is.EqualTo(1));
            Assert.That(Ids(second), Is.EqualTo(Ids(all).Take(4)), "the second run's steps from __start__ on; its input checkpoint's source is input");
            Assert.That(all[0]!["metadata"]!["ticket"]!.GetValue<string>(), Is.EqualTo("T-2"), "history shows the merged metadata");
            Assert.That(all[0]!["metadata"]!["source"]!.GetValue<string>(), Is.EqualTo("loop"));
            Assert.That(none, Is.Empty);
        }
    }

    [Test]
    public async Task Should_start_a_delayed_run_only_when_it_is_due()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        var run = await PostJsonAsync(client, $"/threads/{threadId}/runs", AddFields(RunBody("What does VACUUM do?"), """{"after_seconds":1}"""));
        var runId = run["run_id"]!.GetValue<string>();
        await GetJsonAsync(client, $"/threads/{threadId}/runs/{runId}/join");
        var ended = await GetJsonAsync(client, $"/threads/{threadId}/runs/{runId}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("pending"));
            Assert.That(ended["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(ended["started_at"]!.GetValue<DateTimeOffset>(),
                Is.GreaterThanOrEqualTo(ended["created_at"]!.GetValue<DateTimeOffset>().AddSeconds(1)), "not claimed before it was due");
        }
    }

    [Test]
    public async Task Should_apply_reject_interrupt_and_rollback_to_a_pending_run_and_delete_only_finished_runs()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        var later = AddFields(RunBody("What does VACUUM do?"), """{"after_seconds":600}""");

        var first = (await PostJsonAsync(client, $"/threads/{threadId}/runs", later))["run_id"]!.GetValue<string>();
        using var rejected = await PostAsync(client, $"/threads/{threadId}/runs", AddFields(RunBody("x"), """{"multitask_strategy":"reject"}"""));
        using var deletePending = await SendAsync(client, HttpMethod.Delete, $"/threads/{threadId}/runs/{first}", null);
        var second = (await PostJsonAsync(client, $"/threads/{threadId}/runs", AddFields(later, """{"multitask_strategy":"interrupt"}""")))["run_id"]!.GetValue<string>();
        var firstAfterInterrupt = await GetJsonAsync(client, $"/threads/{threadId}/runs/{first}");
        var third = (await PostJsonAsync(client, $"/threads/{threadId}/runs", AddFields(RunBody("What does VACUUM do?"), """{"multitask_strategy":"rollback"}""")))["run_id"]!.GetValue<string>();
        using var secondAfterRollback = await client.GetAsync(new Uri($"/threads/{threadId}/runs/{second}", UriKind.Relative));
        await GetJsonAsync(client, $"/threads/{threadId}/runs/{third}/join");
        using var deleteFinished = await SendAsync(client, HttpMethod.Delete, $"/threads/{threadId}/runs/{third}", null);
        var state = await GetJsonAsync(client, $"/threads/{threadId}/state");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(rejected.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(await rejected.Content.ReadAsStringAsync(), Does.Contain("Thread is already running a task."));
            Assert.That(deletePending.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(firstAfterInterrupt["status"]!.GetValue<string>(), Is.EqualTo("interrupted"));
            Assert.That(secondAfterRollback.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "rollback deletes the run");
            Assert.That(deleteFinished.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(state["values"]!["messages"]!.AsArray(), Has.Count.EqualTo(4), "a deleted run's checkpoints stay in the state");
        }
    }

    [Test]
    public async Task Should_create_a_batch_and_cancel_runs_by_thread()
    {
        using var client = system.Client();
        var batch = (await PostJsonAsync(client, "/runs/batch", $"[{RunBody("What does VACUUM do?")},{RunBody("How do I create an index?")}]")).AsArray();
        using var badBatch = await PostAsync(client, "/runs/batch", $"[{RunBody("x")},{{\"assistant_id\":\"agent\",\"stream_mode\":\"nope\"}}]");
        var threadId = await CreateThreadAsync(client);
        var pending = (await PostJsonAsync(client, $"/threads/{threadId}/runs", AddFields(RunBody("x"), """{"after_seconds":600}""")))["run_id"]!.GetValue<string>();
        using var cancel = await PostAsync(client, "/runs/cancel", $$"""{"thread_id":"{{threadId}}"}""");
        var cancelled = await GetJsonAsync(client, $"/threads/{threadId}/runs/{pending}");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(batch, Has.Count.EqualTo(2));
            Assert.That(batch.Select(r => r!["thread_id"]!.GetValue<string>()).Distinct().Count(), Is.EqualTo(2), "each on its own thread");
            Assert.That(badBatch.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(await badBatch.Content.ReadAsStringAsync(), Does.Contain("[1]"));
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(cancelled["status"]!.GetValue<string>(), Is.EqualTo("interrupted"));
        }
    }

    [Test]
    public async Task Should_stream_the_answer_as_token_chunks_of_one_message_plus_legacy_messages_and_debug()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        var (_, frames) = await StreamRunAsync(client, threadId, RunBody(GinQuestion, """["messages-tuple","messages","debug","tasks","checkpoints"]"""));

        var state = await GetJsonAsync(client, $"/threads/{threadId}/state");
        var answer = state["values"]!["messages"]!.AsArray()[^1]!;
        var answerId = answer["id"]!.GetValue<string>();
        var tuples = frames.Where(f => f.Event == "messages").Select(f => JsonNode.Parse(f.Data)!.AsArray()).ToList();
        var answerChunks = tuples.Where(t => t[0]!["id"]!.GetValue<string>() == answerId).ToList();
        var complete = frames.Where(f => f.Event == "messages/complete").Select(f => JsonNode.Parse(f.Data)![0]!).ToList();
        var debugTypes = frames.Where(f => f.Event == "debug").Select(f => JsonNode.Parse(f.Data)!["type"]!.GetValue<string>()).Distinct();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answerChunks, Is.Not.Empty);
            Assert.That(answerChunks.Select(t => t[0]!["type"]!.GetValue<string>()).Distinct(), Is.EqualTo(new[] { "AIMessageChunk" }),
                "the answer is streamed as token chunks, never re-sent whole");
            Assert.That(string.Concat(answerChunks.Select(t => t[0]!["content"]!.GetValue<string>())),
                Is.EqualTo(answer["content"]!.GetValue<string>()), "the chunks add up to the answer");
            Assert.That(answerChunks.Select(t => t[1]!["langgraph_node"]!.GetValue<string>()).Distinct(), Is.EqualTo(new[] { "agent" }));
            Assert.That(tuples.Count(t => t[0]!["type"]!.GetValue<string>() == "tool"), Is.EqualTo(1), "the tool result comes whole");
            Assert.That(frames.Any(f => f.Event == "messages/partial"), Is.True);
            Assert.That(complete.Select(m => m["id"]!.GetValue<string>()), Does.Contain(answerId));
            Assert.That(debugTypes, Is.EquivalentTo(new[] { "checkpoint", "task", "task_result" }));
            Assert.That(frames.Count(f => f.Event == "checkpoints"), Is.EqualTo(5), "the input checkpoint, then one per step");
            Assert.That(frames.Count(f => f.Event == "tasks"), Is.EqualTo(6));
        }
    }

    [Test]
    public async Task Should_stream_tasks_with_their_input_trigger_and_an_id_of_their_own()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        var (_, frames) = await StreamRunAsync(client, threadId, RunBody(GinQuestion, """["tasks"]"""));

        var tasks = frames.Where(f => f.Event == "tasks").Select(f => JsonNode.Parse(f.Data)!.AsObject()).ToList();
        var starts = tasks.Where(t => t.ContainsKey("triggers")).ToList();
        var results = tasks.Where(t => t.ContainsKey("result")).ToList();
        var history = (await PostJsonAsync(client, $"/threads/{threadId}/history", """{"limit":50}""")).AsArray();
        var checkpointIds = history.Select(h => h!["checkpoint"]!["checkpoint_id"]!.GetValue<string>()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(starts.Select(t => t["name"]!.GetValue<string>()), Is.EqualTo(new[] { "agent", "tools", "agent" }));
            Assert.That(starts.Select(t => t["triggers"]![0]!.GetValue<string>()),
                Is.EqualTo(new[] { "branch:to:agent", "branch:to:tools", "branch:to:agent" }));
            Assert.That(starts[0]["input"]!["messages"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "human" }),
                "the first task reads the input");
            Assert.That(starts[2]["input"]!["messages"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()),
                Is.EqualTo(new[] { "human", "ai", "tool" }), "the answer reads the tool result");
            Assert.That(results.Select(t => t["id"]!.GetValue<string>()), Is.EqualTo(starts.Select(t => t["id"]!.GetValue<string>())),
                "a task's result carries its start's id");
            Assert.That(starts.Select(t => t["id"]!.GetValue<string>()), Is.Unique);
            Assert.That(starts.Select(t => t["id"]!.GetValue<string>()), Has.None.AnyOf(checkpointIds.Cast<object>().ToArray()),
                "a task id is not a checkpoint id");
        }
    }

    [Test]
    public async Task Should_fire_a_due_cron_once_on_its_thread_and_schedule_the_next_tick()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        var cron = await PostJsonAsync(client, $"/threads/{threadId}/runs/crons",
            AddFields(RunBody("What does VACUUM do?"), """{"schedule":"0 0 1 1 *","timezone":"Europe/Paris"}"""));
        var cronId = Guid.Parse(cron["cron_id"]!.GetValue<string>());
        // Make the tick due now instead of waiting for next New Year.
        await using (var context = system.Database.CreateContext())
        {
            await context.Crons.Where(c => c.CronId == cronId)
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.NextRunDate, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        var runs = await Poll.UntilAsync(
            async () => (await GetJsonAsync(client, $"/threads/{threadId}/runs")).AsArray(),
            found => found.Count > 0 && !found.Any(r => r!["status"]!.GetValue<string>() is "pending" or "running"),
            TimeSpan.FromSeconds(60));

        var found = (await PostJsonAsync(client, "/runs/crons/search", $$"""{"thread_id":"{{threadId}}"}""")).AsArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(cron["next_run_date"]!.GetValue<DateTimeOffset>().UtcDateTime, Is.EqualTo(
                new DateTime(DateTime.UtcNow.Year + 1, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(-1)), "midnight in Paris is 23:00 UTC");
            Assert.That(runs, Has.Count.EqualTo(1), "the tick fired once");
            Assert.That(runs[0]!["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(found.Single()!["next_run_date"]!.GetValue<DateTimeOffset>(), Is.GreaterThan(DateTimeOffset.UtcNow));
        }
    }

    [Test]
    public async Task Should_post_the_finished_run_to_its_webhook_signed_and_retried()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        receiver.AnswerNext(503);
        var before = receiver.Received.Count;

        await PostJsonAsync(client, $"/threads/{threadId}/runs/wait",
            AddFields(RunBody("What does VACUUM do?"), $$"""{"webhook":"{{receiver.Url}}"}"""));
        var deliveries = (await receiver.WaitForAsync(before + 2, TimeSpan.FromSeconds(60))).Skip(before).ToList();

        var (body, signature) = deliveries[^1];
        var payload = JsonNode.Parse(body)!;
        var timestamp = long.Parse(signature!.Split(',')[0]["t=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deliveries, Has.Count.EqualTo(2), "the 503 was retried once");
            Assert.That(payload["thread_id"]!.GetValue<string>(), Is.EqualTo(threadId));
            Assert.That(payload["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(payload["values"]!["messages"]!.AsArray(), Has.Count.EqualTo(4));
            Assert.That(payload["kwargs"]!["webhook"]!.GetValue<string>(), Is.EqualTo(receiver.Url.ToString()));
            Assert.That(payload["run_ended_at"]!.GetValue<DateTimeOffset>(), Is.GreaterThanOrEqualTo(payload["run_started_at"]!.GetValue<DateTimeOffset>()));
            Assert.That(payload["webhook_sent_at"]!.GetValue<DateTimeOffset>(), Is.GreaterThanOrEqualTo(payload["run_ended_at"]!.GetValue<DateTimeOffset>()));
            Assert.That(payload.AsObject().ContainsKey("error"), Is.True);
            Assert.That(signature, Is.EqualTo(WebhookSignature.Compute(SigningSecret, timestamp, body)));
        }
    }

    private static string AddFields(string body, string fields)
    {
        var merged = JsonNode.Parse(body)!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(fields)!.AsObject())
        {
            merged[key] = value?.DeepClone();
        }

        return merged.ToJsonString();
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? json) =>
        await client.SendAsync(new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
        {
            Content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"),
        });

    private static async Task<JsonNode> SendJsonAsync(HttpClient client, HttpMethod method, string path, string json)
    {
        using var response = await SendAsync(client, method, path, json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
