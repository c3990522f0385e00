using Agent.Worker.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Graceful shutdown of a worker (SIGTERM): from the moment the host starts stopping, <see cref="IsDraining"/> is
/// set, so no new run is claimed and running runs stop at their next step boundary; after
/// <see cref="AgentWorkerOptions.ShutdownGraceSeconds"/>, <see cref="Abandoning"/> fires and cancels the steps still in
/// flight. Either way the executor then releases the lease and requeues the run, so another worker resumes it without
/// waiting for the lease to expire.
/// </summary>
internal sealed class WorkerDrain : IDisposable
{
    private readonly CancellationTokenSource draining = new();
    private readonly CancellationTokenSource abandoning;
    private readonly TimeSpan grace;
    private readonly CancellationTokenRegistration stopping;

    /// <summary>Initializes a new instance of the <see cref="WorkerDrain"/> class.</summary>
    /// <param name="options">The grace period.</param>
    /// <param name="timeProvider">The clock of the grace period.</param>
    /// <param name="lifetime">The host's lifetime, whose stopping starts the drain; none outside a host (tests call <see cref="Begin"/>).</param>
    public WorkerDrain(IOptions<AgentWorkerOptions> options, TimeProvider timeProvider, IHostApplicationLifetime? lifetime = null)
    {
        grace = TimeSpan.FromSeconds(options.Value.ShutdownGraceSeconds);
        abandoning = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        stopping = lifetime?.ApplicationStopping.Register(Begin) ?? default;
    }

    /// <summary>Gets a value indicating whether the worker is stopping: claim nothing new, stop at the next step boundary.</summary>
    public bool IsDraining => draining.IsCancellationRequested;

    /// <summary>Gets a token cancelled when the grace period is over: abandon the step in flight.</summary>
    public CancellationToken Abandoning => abandoning.Token;

    /// <summary>Starts draining (idempotent).</summary>
    public void Begin()
    {
        if (draining.IsCancellationRequested)
        {
            return;
        }

        draining.Cancel();
        abandoning.CancelAfter(grace);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        stopping.Dispose();
        draining.Dispose();
        abandoning.Dispose();
    }
}
