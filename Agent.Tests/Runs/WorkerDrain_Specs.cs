using Agent.Contracts.Runs;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Worker.Runs;
using MassTransit.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Runs;

[TestFixture]
[Category("Integration")]
public sealed class When_a_worker_is_told_to_stop
{
    private RunHarness harness = null!;

    // One database for the fixture: every spec works on runs of its own.
    [OneTimeSetUp]
    public async Task CreateAsync() => harness = await RunHarness.CreateAsync();

    [OneTimeTearDown]
    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Test]
    public async Task Should_finish_the_step_in_flight_then_hand_the_run_back_for_another_worker_to_resume()
    {
        var run = await harness.InsertRunAsync("gin?");
        var inCall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstModel = new ScriptedChatClient(SearchThenAnswer)
        {
            BeforeCall = async (_, token) =>
            {
                inCall.TrySetResult();
                await release.Task.WaitAsync(token);
            },
        };
        var first = await harness.StartWorkerAsync(firstModel, new EchoTool(), o => o.ShutdownGraceSeconds = 60);

        var execution = RunHarness.ExecuteAsync(first, run);
        await inCall.Task.WaitAsync(TimeSpan.FromSeconds(30));
        first.GetRequiredService<WorkerDrain>().Begin();
        release.SetResult();
        await execution.WaitAsync(TimeSpan.FromSeconds(30));

        var handedBack = await harness.LoadRunAsync(run.RunId);
        var requeued = await first.GetRequiredService<ITestHarness>().Sent.Any<StartAgentRun>(m => m.Context.Message.RunId == run.RunId);
        var secondModel = new ScriptedChatClient(SearchThenAnswer);
        var second = await harness.StartWorkerAsync(secondModel, new EchoTool(), instanceId: "worker-b");
        await RunHarness.ExecuteAsync(second, run);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(handedBack.Status, Is.EqualTo(AgentRunStatus.Pending));
            Assert.That(handedBack.LeaseOwner, Is.Null);
            Assert.That(handedBack.StepCount, Is.EqualTo(1), "the model step in flight finished and was committed");
            Assert.That(requeued, Is.True, "the run was sent back to the queue");
            Assert.That((await harness.LoadRunAsync(run.RunId)).Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That(firstModel.Calls, Has.Count.EqualTo(1));
            Assert.That(secondModel.Calls, Has.Count.EqualTo(1), "the second worker only answers: nothing is repeated");
            Assert.That((await harness.StepsAsync(run.RunId)).Select(s => s.Step), Is.EqualTo(new[] { -1, 0, 1, 2, 3 }));
        }
    }

    [Test]
    public async Task Should_abandon_a_step_that_outlasts_the_grace_period_and_hand_the_run_back()
    {
        var run = await harness.InsertRunAsync("gin?");
        var inCall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedChatClient(SearchThenAnswer)
        {
            BeforeCall = async (_, token) =>
            {
                inCall.TrySetResult();
                await new TaskCompletionSource().Task.WaitAsync(token);
            },
        };
        var worker = await harness.StartWorkerAsync(model, new EchoTool(), o => o.ShutdownGraceSeconds = 0.2);

        var execution = RunHarness.ExecuteAsync(worker, run);
        await inCall.Task.WaitAsync(TimeSpan.FromSeconds(30));
        worker.GetRequiredService<WorkerDrain>().Begin();
        await execution.WaitAsync(TimeSpan.FromSeconds(30));

        var stored = await harness.LoadRunAsync(run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Pending));
            Assert.That(stored.LeaseOwner, Is.Null);
            Assert.That((await harness.StepsAsync(run.RunId)).Select(s => s.Step), Is.EqualTo(new[] { -1, 0 }), "only the input checkpoint and the input were committed");
        }
    }

    [Test]
    public async Task Should_not_claim_a_new_run_once_stopping_but_send_it_back()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer);
        var worker = await harness.StartWorkerAsync(model, new EchoTool());
        worker.GetRequiredService<WorkerDrain>().Begin();

        await RunHarness.ExecuteAsync(worker, run);

        var stored = await harness.LoadRunAsync(run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Pending));
            Assert.That(stored.Attempt, Is.Zero);
            Assert.That(model.Calls, Is.Empty);
            Assert.That(await worker.GetRequiredService<ITestHarness>().Sent.Any<StartAgentRun>(m => m.Context.Message.RunId == run.RunId), Is.True);
        }
    }

    private static ChatResponse SearchThenAnswer(IReadOnlyList<ChatMessage> messages, ChatOptions? options, int call) =>
        messages.Any(m => m.Role == ChatRole.Tool)
            ? ScriptedChatClient.Answer("Use CREATE INDEX ... USING GIN.")
            : ScriptedChatClient.ToolCall($"call_{call}", "search_documents", new() { ["query"] = "gin" });
}
