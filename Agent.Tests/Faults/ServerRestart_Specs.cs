using Agent.Persistence.Runs;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.Faults;

/// <summary>
/// Fault tests 5 and 6 of issue 3: the broker and the database restart while runs are in flight. The fixture runs
/// its own private PostgreSQL and RabbitMQ instances (own data directories and ports) and restarts those, never the
/// shared servers. One worker process with two slots runs two runs at once.
/// </summary>
[TestFixture]
[Category("Integration")]
[Category("Faults")]
[NonParallelizable]
public sealed class When_a_server_restarts_while_runs_are_active
{
    private PrivatePostgres database = null!;
    private PrivateRabbitMq broker = null!;
    private FaultSystem faults = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var startDatabase = PrivatePostgres.StartAsync();
        var startBroker = PrivateRabbitMq.StartAsync();
        try
        {
            await Task.WhenAll(startDatabase, startBroker);
        }
        catch
        {
            // Stop whichever one did start: nothing of this fixture may outlive it.
            if (startDatabase.IsCompletedSuccessfully)
            {
                await (await startDatabase).DisposeAsync();
            }

            if (startBroker.IsCompletedSuccessfully)
            {
                await (await startBroker).DisposeAsync();
            }

            throw;
        }

        database = await startDatabase;
        broker = await startBroker;
        faults = await FaultSystem.StartAsync(
            workers: 1,
            modelLatency: TimeSpan.FromSeconds(1),
            postgresServer: database.ServerConnectionString,
            rabbitMqUri: broker.Uri,
            extraEnvironment: new Dictionary<string, string?> { ["AgentWorker__Slots"] = "2" });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (faults is not null)
        {
            await faults.DisposeAsync();
        }

        if (broker is not null)
        {
            await broker.DisposeAsync();
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(faults.System.Logs());
        }
    }

    // The broker first, so its test does not start with the database test's recovery still going on.
    [Test]
    [Order(1)]
    public Task Should_finish_every_run_with_each_step_committed_once_when_RabbitMQ_restarts() =>
        // The broker requeues the in-flight deliveries; their redelivery takes the runs over (one repeat at most).
        RestartDuringRunsAsync("RabbitMQ restart", broker.RestartAsync);

    [Test]
    [Order(2)]
    public Task Should_finish_every_run_with_each_step_committed_once_when_PostgreSQL_restarts() =>
        // A commit that fails while the server is down is retried; a run that cannot wait is abandoned and resumed.
        RestartDuringRunsAsync("PostgreSQL restart", async () => await database.RestartAsync());

    [Test]
    [Order(3)]
    public async Task Should_answer_no_5xx_after_PostgreSQL_restarts_with_connections_in_the_pool()
    {
        using var client = faults.System.Client();
        // Concurrent requests leave several open connections in the API's pool, all of which the restart cuts.
        var threads = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostJsonAsync(client, "/threads", "{}")));
        var ids = threads.Select(t => t["thread_id"]!.GetValue<string>()).ToList();
        await Task.WhenAll(ids.Select(id => client.GetAsync(new Uri($"/threads/{id}", UriKind.Relative))));

        await database.RestartAsync();

        // Reads and writes at once, as many as the connections the pool held, so each broken one is rented.
        var requests = ids.SelectMany(id => new Func<Task<HttpResponseMessage>>[]
        {
            () => client.GetAsync(new Uri($"/threads/{id}", UriKind.Relative)),
            () => PostAsync(client, "/threads", "{}"),
            () => PostAsync(client, "/threads/search", """{"limit": 5}"""),
        });
        var responses = await Task.WhenAll(requests.Select(send => send()));

        var failures = new List<string>();
        foreach (var response in responses.Where(r => (int)r.StatusCode >= 500))
        {
            failures.Add($"{response.RequestMessage!.Method} {response.RequestMessage.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.That(failures, Is.Empty, "no request fails because of connections the restart broke");
    }

    private async Task RestartDuringRunsAsync(string fault, Func<Task> restart)
    {
        string[] questions = [$"{fault}: what is a GIN index?", $"{fault}: what does VACUUM do?"];
        var runs = new List<Guid>();
        foreach (var question in questions)
        {
            runs.Add((await faults.SubmitAsync(question)).RunId);
        }

        foreach (var question in questions)
        {
            await faults.WaitForRequestsAsync(question, 1);
        }

        var recovery = faults.MeasureRecoveryAsync(runs[0], reclaim: false);
        await restart();
        FaultSystem.Report(fault, await recovery);
        foreach (var runId in runs)
        {
            await faults.WaitForEndAsync(runId);
        }

        for (var i = 0; i < runs.Count; i++)
        {
            await faults.AssertDurableAsync(runs[i], questions[i], AgentRunStatus.Success, repeatedModelCalls: 1, orFewer: true);
        }
    }
}
