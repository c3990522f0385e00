using System.Net;
using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.Runs;

/// <summary>
/// Named run queues (issue 15, heavy and light runs apart): a run picks a queue with <c>config.configurable.queue</c>
/// (or gets its assistant's), and only workers started for that queue take it. The system: one API accepting
/// <c>default</c> and <c>heavy</c>; a worker for <c>default</c> whose fake model answers at once, and a worker for
/// <c>heavy</c> (one slot) whose fake model takes a minute per call, so a heavy run holds that worker's only slot.
/// </summary>
[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_runs_name_a_queue
{
    private FakeOpenAIServer quickModel = null!;
    private FakeOpenAIServer slowModel = null!;
    private AgentSystem system = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        quickModel = await FakeOpenAIServer.StartAsync();
        slowModel = await FakeOpenAIServer.StartAsync();
        slowModel.Latency = TimeSpan.FromMinutes(1);
        system = await AgentSystem.StartAsync(
            apiCount: 1,
            WorkerEnvironment(quickModel, "light-worker", "default"),
            new Dictionary<string, string?> { ["Messaging__Queues"] = "default,heavy" });
        await system.AddWorkerAsync(WorkerEnvironment(slowModel, "heavy-worker", "heavy:1"));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (system is not null)
        {
            await system.DisposeAsync();
        }

        await quickModel.DisposeAsync();
        await slowModel.DisposeAsync();
    }

    [Test]
    public async Task Should_run_a_quick_question_at_once_while_heavy_runs_hold_their_own_queue()
    {
        using var client = system.Client();
        var firstHeavy = await SubmitAsync(client, "heavy one: summarise the whole manual", queue: "heavy");
        await slowModel.WaitForRequestsAsync(1, CancellationToken.None);
        var secondHeavy = await SubmitAsync(client, "heavy two: summarise it again", queue: "heavy");
        var light = await SubmitAsync(client, "What does VACUUM do?", queue: null);

        var lightRun = await WaitForRunAsync(light, r => AgentRunStatus.IsTerminal(r.Status));
        await using var context = system.Database.CreateContext();
        var heavyRuns = await context.Runs.AsNoTracking().Where(r => r.RunId == firstHeavy || r.RunId == secondHeavy).ToDictionaryAsync(r => r.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(lightRun.Status, Is.EqualTo(AgentRunStatus.Success), "the quick question finished while the heavy queue was busy");
            Assert.That(quickModel.Requests.Any(r => r.Messages.Any(m => m.Content == "What does VACUUM do?")), Is.True, "the default queue's worker (its model) ran it");
            Assert.That(slowModel.Requests.Any(r => r.Messages.Any(m => m.Content == "What does VACUUM do?")), Is.False, "the heavy queue's worker did not");
            Assert.That(lightRun.Queue, Is.Null, "no queue named: the default one");
            Assert.That(heavyRuns[firstHeavy].Status, Is.EqualTo(AgentRunStatus.Running), "the first heavy run is in its slow model call");
            Assert.That(heavyRuns[firstHeavy].LeaseOwner, Is.EqualTo("heavy-worker"), "the heavy queue's worker took it");
            Assert.That(heavyRuns[firstHeavy].Queue, Is.EqualTo("heavy"));
            Assert.That(heavyRuns[secondHeavy].Status, Is.EqualTo(AgentRunStatus.Pending), "the second heavy run waits for a heavy slot; the idle light worker never takes it");
            Assert.That(quickModel.Requests.Any(r => r.Messages.Any(m => m.Content?.StartsWith("heavy", StringComparison.Ordinal) == true)), Is.False, "no heavy question reached the light worker's model");
        }
    }

    [Test]
    public async Task Should_send_the_runs_of_an_assistant_to_its_queue()
    {
        using var client = system.Client();
        var assistant = await PostJsonAsync(client, "/assistants", """{"graph_id":"agent","config":{"configurable":{"queue":"heavy"}}}""");
        var thread = await CreateThreadAsync(client);
        var body = new JsonObject
        {
            ["assistant_id"] = assistant["assistant_id"]!.GetValue<string>(),
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "heavy three: an assistant's run" }) },
        };
        var run = Guid.Parse((await PostJsonAsync(client, $"/threads/{thread}/runs", body.ToJsonString()))["run_id"]!.GetValue<string>());

        await using var context = system.Database.CreateContext();
        var stored = await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == run);
        Assert.That(stored.Queue, Is.EqualTo("heavy"), "the assistant's configurable.queue is the run's queue");
    }

    [TestCase("\"nightly\"", "unknown queue 'nightly'; queues: default, heavy")]
    [TestCase("\"Heavy Runs\"", "a queue name is 1 to 32 lowercase letters")]
    [TestCase("42", "must be a string")]
    public async Task Should_refuse_a_queue_the_api_does_not_accept(string queue, string detail)
    {
        using var client = system.Client();
        var thread = await CreateThreadAsync(client);
        var body = RunBody("Which queue?").Replace("\"stream_mode\"", $"\"config\":{{\"configurable\":{{\"queue\":{queue}}}}},\"stream_mode\"", StringComparison.Ordinal);
        using var response = await PostAsync(client, $"/threads/{thread}/runs", body);
        var text = await response.Content.ReadAsStringAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity), text);
            Assert.That(JsonNode.Parse(text)?["detail"]?.GetValue<string>(), Does.Contain(detail));
        }
    }

    [Test]
    public void Should_parse_a_workers_queue_setting_with_slots_per_queue()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(RunQueueName.ParseSetting("default:4, heavy:1,batch", 2), Is.EqualTo(new[] { ("default", 4), ("heavy", 1), ("batch", 2) }));
            Assert.That(RunQueueName.ParseSetting(null, 3), Is.EqualTo(new[] { ("default", 3) }));
            Assert.That(() => RunQueueName.ParseSetting("heavy:0", 1), Throws.TypeOf<FormatException>());
            Assert.That(() => RunQueueName.ParseSetting("heavy,heavy", 1), Throws.TypeOf<FormatException>());
            Assert.That(() => RunQueueName.ParseSetting("Heavy", 1), Throws.TypeOf<FormatException>());
            Assert.That(RunQueueName.Address("agent-runs", null), Is.EqualTo("agent-runs"));
            Assert.That(RunQueueName.Address("agent-runs", "default"), Is.EqualTo("agent-runs"));
            Assert.That(RunQueueName.Address("agent-runs", "heavy"), Is.EqualTo("agent-runs.heavy"));
        }
    }

    private static Dictionary<string, string?> WorkerEnvironment(FakeOpenAIServer model, string instance, string queues) => new()
    {
        ["OPENAI_API_KEY"] = "sk-queues-fake",
        ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
        ["AGENT_MODEL"] = "gpt-4o-mini",
        ["AgentWorker__InstanceId"] = instance,
        ["Messaging__Queues"] = queues,
    };

    private static async Task<Guid> SubmitAsync(HttpClient client, string question, string? queue)
    {
        var thread = await CreateThreadAsync(client);
        var body = new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
        };
        if (queue is not null)
        {
            body["config"] = new JsonObject { ["configurable"] = new JsonObject { ["queue"] = queue } };
        }

        return Guid.Parse((await PostJsonAsync(client, $"/threads/{thread}/runs", body.ToJsonString()))["run_id"]!.GetValue<string>());
    }

    private async Task<AgentRun> WaitForRunAsync(Guid runId, Func<AgentRun, bool> condition)
    {
        AgentRun? run = null;
        var reached = await Poll.UntilAsync(
            async () =>
            {
                await using var context = system.Database.CreateContext();
                run = await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == runId);
                return condition(run);
            },
            TimeSpan.FromMinutes(2),
            TimeSpan.FromMilliseconds(50));
        Assert.That(reached, Is.True, $"run {runId} did not get there in time:\n{system.Logs()}");
        return run!;
    }
}
