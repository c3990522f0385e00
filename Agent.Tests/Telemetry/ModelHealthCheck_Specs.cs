using Agent.Telemetry;
using Agent.Tests.Fakes;
using Agent.Worker.Models.Offline;
using Agent.Worker.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Agent.Tests.Telemetry;

[TestFixture]
public sealed class When_the_deep_health_check_probes_the_model
{
    private static readonly HealthCheckContext Context = new()
    {
        Registration = new HealthCheckRegistration(ModelHealthCheck.Name, _ => null!, HealthStatus.Unhealthy, null),
    };

    [Test]
    public async Task Should_be_healthy_when_the_offline_model_answers_the_known_question_from_the_canned_passage()
    {
        var check = new ModelHealthCheck(new OfflineExtractiveChatClient(), new TelemetryOptions(), TimeProvider.System);

        var result = await check.CheckHealthAsync(Context);

        Assert.That(result.Status, Is.EqualTo(HealthStatus.Healthy), result.Description);
    }

    [Test]
    public async Task Should_send_the_known_input_with_tools_offered_but_tool_choice_none()
    {
        var model = new ScriptedChatClient(ScriptedChatClient.Answer("VACUUM reclaims storage."));
        var check = new ModelHealthCheck(model, new TelemetryOptions(), TimeProvider.System);

        await check.CheckHealthAsync(Context);

        var (messages, options) = model.Calls.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(messages.Single(m => m.Role == ChatRole.User).Text, Is.EqualTo(ModelHealthCheck.Question));
            Assert.That(messages[^1].Contents.OfType<FunctionResultContent>().Single().Result?.ToString(), Does.Contain("VACUUM reclaims storage"));
            Assert.That(options?.ToolMode, Is.EqualTo(ChatToolMode.None));
        }
    }

    [Test]
    public async Task Should_be_unhealthy_when_the_answer_does_not_mention_the_expected_term()
    {
        var check = new ModelHealthCheck(
            new ScriptedChatClient(ScriptedChatClient.Answer("I like turtles.")), new TelemetryOptions(), TimeProvider.System);

        var result = await check.CheckHealthAsync(Context);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(result.Description, Does.Contain("I like turtles."));
        }
    }

    [Test]
    public async Task Should_be_unhealthy_when_the_model_call_fails()
    {
        var failing = new ScriptedChatClient((_, _, _) => throw new HttpRequestException("connection refused"));
        var check = new ModelHealthCheck(failing, new TelemetryOptions(), TimeProvider.System);

        var result = await check.CheckHealthAsync(Context);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Status, Is.EqualTo(HealthStatus.Unhealthy));
            Assert.That(result.Description, Does.Contain("connection refused"));
        }
    }

    [Test]
    public async Task Should_reuse_the_result_within_the_interval_and_probe_again_after_it()
    {
        var clock = new ManualClock();
        var model = new ScriptedChatClient((_, _, _) => ScriptedChatClient.Answer("VACUUM reclaims storage."));
        var check = new ModelHealthCheck(model, new TelemetryOptions { DeepCheckIntervalSeconds = 60 }, clock);

        await check.CheckHealthAsync(Context);
        await check.CheckHealthAsync(Context);
        clock.Advance(TimeSpan.FromSeconds(59));
        await check.CheckHealthAsync(Context);
        var callsWithinInterval = model.Calls.Count;
        clock.Advance(TimeSpan.FromSeconds(2));
        await check.CheckHealthAsync(Context);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(callsWithinInterval, Is.EqualTo(1));
            Assert.That(model.Calls, Has.Count.EqualTo(2));
        }
    }

    /// <summary>A clock a test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => now;

        public void Advance(TimeSpan by) => now += by;
    }
}
