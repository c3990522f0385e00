using Agent.Persistence.Runs;

namespace Agent.Tests.Faults;

/// <summary>
/// Fault tests 5 and 6 of issue 3: the broker and the database restart while runs are in flight. Each fixture runs
/// its own private server instance (own data directory and port) and restarts that one, never the shared servers.
/// </summary>
[TestFixture]
[Category("Integration")]
[Category("Faults")]
[NonParallelizable]
public sealed class When_RabbitMQ_restarts_while_runs_are_active
{
    private PrivateRabbitMq broker = null!;
    private FaultSystem faults = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        broker = await PrivateRabbitMq.StartAsync();
        faults = await FaultSystem.StartAsync(
            workers: 1, modelLatency: TimeSpan.FromSeconds(1), rabbitMqUri: broker.Uri,
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
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(faults.System.Logs());
        }
    }

    [Test]
    public async Task Should_finish_every_run_with_each_step_committed_once()
    {
        string[] questions = ["Fault 5a: broker restart. What is a GIN index?", "Fault 5b: broker restart. What does VACUUM do?"];
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
        await broker.RestartAsync();
        FaultSystem.Report("RabbitMQ restart", await recovery);
        foreach (var runId in runs)
        {
            await faults.WaitForEndAsync(runId);
        }

        for (var i = 0; i < runs.Count; i++)
        {
            // The broker requeues the in-flight deliveries; their redelivery takes the runs over (one repeat at most).
            await faults.AssertDurableAsync(runs[i], questions[i], AgentRunStatus.Success, crashes: 1);
        }
    }
}

[TestFixture]
[Category("Integration")]
[Category("Faults")]
[NonParallelizable]
public sealed class When_PostgreSQL_restarts_while_runs_are_active
{
    private PrivatePostgres database = null!;
    private FaultSystem faults = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        database = await PrivatePostgres.StartAsync();
        faults = await FaultSystem.StartAsync(
            workers: 1, modelLatency: TimeSpan.FromSeconds(1), postgresServer: database.ServerConnectionString,
            extraEnvironment: new Dictionary<string, string?> { ["AgentWorker__Slots"] = "2" });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (faults is not null)
        {
            await faults.DisposeAsync();
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

    [Test]
    public async Task Should_finish_every_run_with_each_step_committed_once()
    {
        string[] questions = ["Fault 6a: database restart. What is a GIN index?", "Fault 6b: database restart. What does VACUUM do?"];
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
        await database.RestartAsync();
        FaultSystem.Report("PostgreSQL restart", await recovery);
        foreach (var runId in runs)
        {
            await faults.WaitForEndAsync(runId);
        }

        for (var i = 0; i < runs.Count; i++)
        {
            // A commit that fails while the server is down is retried; one that cannot wait is abandoned and resumed.
            await faults.AssertDurableAsync(runs[i], questions[i], AgentRunStatus.Success, crashes: 1);
        }
    }
}
