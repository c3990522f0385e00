using Agent.Contracts.Runs;
using Agent.Worker.Telemetry;
using MassTransit;

namespace Agent.Worker.Runs;

/// <summary>
/// Consumes <see cref="StartAgentRun"/>: hands the run to the executor and returns only when the run no longer
/// needs this worker, so the message is acknowledged late (after the terminal state is committed).
/// </summary>
/// <param name="executor">The run executor.</param>
internal sealed class StartAgentRunConsumer(AgentRunExecutor executor) : IConsumer<StartAgentRun>
{
    /// <inheritdoc />
    public async Task Consume(ConsumeContext<StartAgentRun> context)
    {
        // The invoke_agent span, child of MassTransit's consume span (and so of the API's trace).
        using var telemetry = RunTelemetry.StartInvokeAgent(context.Message.RunId, context.Message.ThreadId);
        await executor.ExecuteAsync(context.Message, context.ReceiveContext.Redelivered, context.CancellationToken);
    }
}
