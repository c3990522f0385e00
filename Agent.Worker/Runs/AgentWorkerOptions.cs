using System.ComponentModel.DataAnnotations;
using Agent.Contracts.Runs;

namespace Agent.Worker.Runs;

/// <summary>
/// Configures a worker process (configuration section <c>AgentWorker</c>, e.g. <c>AgentWorker__Slots=4</c>).
/// </summary>
public sealed class AgentWorkerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "AgentWorker";

    /// <summary>
    /// Gets or sets how many runs this process executes at once. The run queue's prefetch count equals it, so no
    /// message waits behind a busy slot. Default is 1 (the design card's "prefetch 1").
    /// </summary>
    [Range(1, 256)]
    public int Slots { get; set; } = 1;

    /// <summary>Gets or sets this worker's lease owner name. Default is host name, process id and a random suffix.</summary>
    public string InstanceId { get; set; } =
        $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Gets or sets how long a claimed lease lasts without renewal, in seconds. Default is 30.</summary>
    [Range(2, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>Gets or sets the run queue's name. Default is <c>agent-runs</c>; set through <c>Messaging:RunQueue</c>.</summary>
    public string RunQueue { get; set; } = AgentRunQueues.Runs;

    /// <summary>
    /// Gets or sets how often the scheduler loops look for due work (delayed runs, cron ticks), in ms. Default is 1,000.
    /// </summary>
    [Range(50, 60_000)]
    public int SchedulerIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how long the thread of a finished stateless run with <c>on_completion</c> (or a cron's
    /// <c>on_run_completed</c>) <c>delete</c> is kept before the scheduler deletes it, in seconds, so joins and webhooks
    /// can still read it. Default is 300.
    /// </summary>
    [Range(0, 7 * 24 * 3600)]
    public int StatelessThreadRetentionSeconds { get; set; } = 300;

    /// <summary>Gets the lease length.</summary>
    public TimeSpan LeaseDuration => TimeSpan.FromSeconds(LeaseSeconds);

    /// <summary>Gets the renewal period: a third of the lease, so two renewals can fail before it lapses.</summary>
    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(LeaseSeconds / 3.0);
}
