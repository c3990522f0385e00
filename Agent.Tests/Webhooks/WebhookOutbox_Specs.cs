using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.Webhooks;

/// <summary>
/// The webhook outbox: a run's delivery row commits with its end, and a delivery whose worker dies (kill -9, in a real
/// worker process) while the receiver is still answering is sent again by another worker once the claim expires.
/// </summary>
[TestFixture]
[Category("Integration")]
[Category("Faults")]
[NonParallelizable]
public sealed class When_a_worker_dies_while_delivering_a_webhook
{
    private const int ClaimSeconds = 3;
    private WebhookReceiver receiver = null!;
    private AgentSystem system = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        system = await AgentSystem.StartAsync(
            apiCount: 1, WorkerEnvironment(1), new Dictionary<string, string?> { ["Webhooks__AllowPrivateNetworks"] = "true" });
        await system.AddWorkerAsync(WorkerEnvironment(2));
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        receiver.Release();
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
    public async Task Should_deliver_it_from_another_worker()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        receiver.Stall();
        var body = JsonNode.Parse(RunBody("What does VACUUM do?"))!.AsObject();
        body["webhook"] = receiver.Url.ToString();
        var run = await PostJsonAsync(client, $"/threads/{threadId}/runs", body.ToJsonString());
        var runId = Guid.Parse(run["run_id"]!.GetValue<string>());

        // The first attempt reaches the receiver, which holds it unanswered; its sender is the claim's owner.
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(90));
        var delivering = await ReadDeliveryAsync(runId);
        system.Workers.Single(w => w.Name == delivering.ClaimedBy).Kill();
        receiver.Release();

        var deliveries = await receiver.WaitForAsync(2, TimeSpan.FromSeconds(60));
        var delivered = await PollAsync(() => ReadDeliveryAsync(runId), d => d.DeliveredAt is not null, TimeSpan.FromSeconds(30));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deliveries.Select(d => JsonNode.Parse(d.Body)!["run_id"]!.GetValue<string>()), Has.All.EqualTo(runId.ToString()));
            Assert.That(delivered.ClaimedBy, Is.Not.EqualTo(delivering.ClaimedBy), "the surviving worker sent it");
            Assert.That(delivered.Attempts, Is.EqualTo(2), "one attempt by the dead worker, one by the survivor");
            Assert.That(JsonNode.Parse(deliveries[^1].Body)!["status"]!.GetValue<string>(), Is.EqualTo("success"));
        }
    }

    private static Dictionary<string, string?> WorkerEnvironment(int number) => new()
    {
        ["AgentWorker__InstanceId"] = $"worker-{number}",
        ["Webhooks__AllowPrivateNetworks"] = "true",
        // One HTTP attempt that waits for the stalled receiver, so the dead worker's claim is all that is left.
        ["Webhooks__MaxAttempts"] = "1",
        ["Webhooks__TimeoutSeconds"] = "120",
        ["Webhooks__Outbox__ClaimSeconds"] = ClaimSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Webhooks__Outbox__PollIntervalMs"] = "200",
    };

    private async Task<DeliveryRow> ReadDeliveryAsync(Guid runId)
    {
        await using var context = system.Database.CreateContext();
        return await context.Database.SqlQuery<DeliveryRow>($"""
            SELECT claimed_by AS "ClaimedBy", delivered_at AS "DeliveredAt", attempts AS "Attempts"
            FROM agent.webhook_deliveries WHERE run_id = {runId}
            """).SingleAsync();
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout)
    {
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await poll.WaitForNextTickAsync();
        }
    }

    private sealed record DeliveryRow(string? ClaimedBy, DateTimeOffset? DeliveredAt, int Attempts);
}
