using Agent.Contracts.Runs;
using Agent.Worker.Models.Resilience;
using Agent.Worker.Telemetry;
using MassTransit;

namespace Agent.Worker.Runs;

/// <summary>
/// Consumes <see cref="StartAgentRun"/>: hands the run to the executor and returns only when the run no longer
/// needs this worker, so the message is acknowledged late (after the terminal state is committed).
/// </summary>
/// <remarks>
/// Before claiming, the pre-flight check waits until the provider's shared rate limit would admit a call to the
/// default model: a run that cannot start yet stays <c>pending</c> (unclaimed, so another worker may take it
/// when it frees up) instead of failing halfway.
/// </remarks>
/// <param name="executor">The run executor.</param>
/// <param name="rateLimits">The shared provider rate limits.</param>
internal sealed class StartAgentRunConsumer(AgentRunExecutor executor, RateLimitedChatClient rateLimits) : IConsumer<StartAgentRun>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<StartAgentRun> context)
    {
        // The invoke_agent span, child of MassTransit's consume span (and so of the API's trace).
        using var telemetry = RunTelemetry.StartInvokeAgent(context.Message.RunId, context.Message.ThreadId);
        await rateLimits.WaitUntilAvailableAsync(model: null, context.CancellationToken);
        await executor.ExecuteAsync(context.Message, context.ReceiveContext.Redelivered, context.CancellationToken);
    }
}
