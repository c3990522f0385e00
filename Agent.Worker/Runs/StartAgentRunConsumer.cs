using Agent.Contracts.Runs;
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
    public Task Consume(ConsumeContext<StartAgentRun> context) =>
        executor.ExecuteAsync(context.Message, context.ReceiveContext.Redelivered, context.CancellationToken);
}
