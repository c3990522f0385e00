namespace Agent.Worker.Runs;

/// <summary>
/// The token a run executes under, and why it was cancelled: the worker stopping (<c>stoppingToken</c>, or the drain
/// abandoning steps past the grace period), a lost lease (the heartbeat failed), a cancel request
/// (<see cref="RunningRuns"/>), or the run's time limit (<see cref="StartDeadline"/>).
/// </summary>
internal sealed class RunCancellation : IDisposable
{
    private readonly CancellationTokenSource source;
    private volatile bool leaseLost;
    private volatile bool deadlinePassed;

    /// <summary>Initializes a new instance of the <see cref="RunCancellation"/> class.</summary>
    /// <param name="stoppingToken">Cancelled when the worker must stop at once.</param>
    /// <param name="abandoning">Cancelled when the drain gives up on steps still running.</param>
    public RunCancellation(CancellationToken stoppingToken, CancellationToken abandoning) =>
        source = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, abandoning);

    /// <summary>Gets the run's token.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>Gets the source, for <see cref="RunningRuns.Register"/> (a cancel request cancels it).</summary>
    public CancellationTokenSource Source => source;

    /// <summary>Gets whether the heartbeat lost the lease.</summary>
    public bool LeaseLost => leaseLost;

    /// <summary>Gets whether the run's time limit passed.</summary>
    public bool DeadlinePassed => deadlinePassed;

    /// <summary>Gets the run's time limit, in seconds (for the timeout's message).</summary>
    public double TimeLimitSeconds { get; private set; }

    /// <summary>Cancels the run because its lease was lost.</summary>
    public void LoseLease()
    {
        leaseLost = true;
        source.Cancel();
    }

    /// <summary>
    /// Starts the run's time limit, counted from its first claim across crashes and retry waits: the token is
    /// cancelled at <paramref name="startedAt"/> + <paramref name="limitSeconds"/>.
    /// </summary>
    /// <param name="startedAt">When the run was first claimed.</param>
    /// <param name="limitSeconds">The limit, in seconds.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>Disposes the timer.</returns>
    /// <exception cref="OperationCanceledException">The limit has passed already.</exception>
    public IDisposable StartDeadline(DateTimeOffset startedAt, double limitSeconds, TimeProvider timeProvider)
    {
        TimeLimitSeconds = limitSeconds;
        var remaining = startedAt + TimeSpan.FromSeconds(limitSeconds) - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            deadlinePassed = true;
            throw new OperationCanceledException("The run's time limit has passed.");
        }

        var deadline = new CancellationTokenSource(remaining, timeProvider);
        var registration = deadline.Token.Register(() =>
        {
            deadlinePassed = true;
            source.Cancel();
        });
        return new Deadline(deadline, registration);
    }

    /// <inheritdoc />
    public void Dispose() => source.Dispose();

    private sealed class Deadline(CancellationTokenSource timer, CancellationTokenRegistration registration) : IDisposable
    {
        public void Dispose()
        {
            registration.Dispose();
            timer.Dispose();
        }
    }
}
