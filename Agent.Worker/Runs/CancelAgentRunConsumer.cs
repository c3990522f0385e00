using Agent.Contracts.Runs;
using MassTransit;

namespace Agent.Worker.Runs;

/// <summary>
/// Consumes the fanned-out <see cref="CancelAgentRun"/> on this worker's temporary queue and stops the run if this
/// process is executing it; other workers ignore it.
/// </summary>
/// <param name="runningRuns">The runs this process executes.</param>
internal sealed class CancelAgentRunConsumer(RunningRuns runningRuns) : IConsumer<CancelAgentRun>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<CancelAgentRun> context)
    {
        runningRuns.RequestCancel(context.Message.RunId, context.Message.Action);
        return Task.CompletedTask;
    }
}
