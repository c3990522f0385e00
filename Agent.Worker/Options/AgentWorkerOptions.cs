using System.ComponentModel.DataAnnotations;
using Agent.Contracts.Runs;

namespace Agent.Worker.Options;

/// <summary>
/// Configures a worker process (configuration section <c>AgentWorker</c>, e.g. <c>AgentWorker__Slots=4</c>).
/// </summary>
public sealed class AgentWorkerOptions
{
    private ParsedQueues? served;

    /// <summary>The configuration section name.</summary>
    public const string SectionName = "AgentWorker";

    /// <summary>
    /// Gets or sets how many runs this process executes at once from each queue it consumes that
    /// <see cref="Queues"/> gives no count of its own. The queue's prefetch count equals it, so no message waits
    /// behind a busy slot. Default is 1 (the design card's "prefetch 1").
    /// </summary>
    [Range(1, 256)]
    public int Slots { get; set; } = 1;

    /// <summary>Gets or sets this worker's lease owner name. Default is host name, process id and a random suffix.</summary>
    public string InstanceId { get; set; } =
        $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Gets or sets how long a claimed lease lasts without renewal, in seconds. Default is 30.</summary>
    [Range(2, 3600)]
    public int LeaseSeconds { get; set; } = 30;

    /// <summary>
    /// Gets or sets how often the sweeper looks for runs that need a <c>StartAgentRun</c> (never picked up, lease
    /// expired, retry due), in seconds. Default is 15. One worker sweeps at a time (an advisory lock).
    /// </summary>
    [Range(0.1, 3600)]
    public double SweepSeconds { get; set; } = 15;

    /// <summary>
    /// Gets or sets, in seconds, how long a pending run may wait after its last send before the sweeper sends it
    /// again, and how long after a lease expired the sweeper sends the run again if it is still not claimed. A run in
    /// a long queue behind busy workers is sent again once per period; the extra copies are dropped by the claim.
    /// Default is 60.
    /// </summary>
    [Range(0.1, 86400)]
    public double RepublishAfterSeconds { get; set; } = 60;

    /// <summary>Gets or sets the most runs one sweep dispatches. Default is 100.</summary>
    [Range(1, 10000)]
    public int SweepBatchSize { get; set; } = 100;

    /// <summary>
    /// Gets or sets the time limit of one model call attempt, in seconds; an attempt that exceeds it is cancelled and
    /// counts as a transient failure (retried). Default is 180.
    /// </summary>
    [Range(0.1, 3600)]
    public double ModelCallTimeoutSeconds { get; set; } = 180;

    /// <summary>
    /// Gets or sets the time limit of one tool call attempt, in seconds; an attempt that exceeds it is cancelled and
    /// counts as a transient failure (retried). Default is 60.
    /// </summary>
    [Range(0.1, 3600)]
    public double ToolCallTimeoutSeconds { get; set; } = 60;

    /// <summary>
    /// Gets or sets the wall-time limit of a run, in seconds, counted from its first claim (retry waits included).
    /// A run past it ends with status <c>timeout</c>. It must stay below RabbitMQ's <c>consumer_timeout</c> (2 h in
    /// deploy/), since a run's message is acked when the run ends. Default is 3600.
    /// </summary>
    [Range(1, 86400)]
    public double RunTimeoutSeconds { get; set; } = 3600;

    /// <summary>
    /// Gets or sets how many times a model or tool call is retried inside its step after a transient failure
    /// (timeout, 408, 429, 5xx, dropped connection), with exponential backoff and jitter. Default is 3 (4 attempts).
    /// </summary>
    [Range(0, 20)]
    public int StepRetries { get; set; } = 3;

    /// <summary>Gets or sets the first in-step backoff delay, in ms; it doubles per retry, with jitter. Default is 1000.</summary>
    [Range(1, 600000)]
    public double RetryBaseDelayMs { get; set; } = 1000;

    /// <summary>
    /// Gets or sets the longest in-step backoff delay, in seconds. A 429 whose <c>Retry-After</c> is longer does not
    /// retry inside the step: the run waits (parks) until then instead. Default is 30.
    /// </summary>
    [Range(0.01, 3600)]
    public double RetryMaxDelaySeconds { get; set; } = 30;

    /// <summary>
    /// Gets or sets how many times a run may be parked to wait out a longer outage (its in-step retries spent) before
    /// it ends <c>error</c> with the reason. Default is 5.
    /// </summary>
    [Range(0, 100)]
    public int RunRetries { get; set; } = 5;

    /// <summary>
    /// Gets or sets the first retry wait of a parked run, in seconds; it doubles per wait (with jitter), is at least
    /// the provider's <c>Retry-After</c>, and at most <see cref="RetryWaitMaxSeconds"/>. Default is 30.
    /// </summary>
    [Range(0.01, 86400)]
    public double RetryWaitSeconds { get; set; } = 30;

    /// <summary>Gets or sets the longest retry wait of a parked run, in seconds. Default is 900 (15 min).</summary>
    [Range(0.01, 86400)]
    public double RetryWaitMaxSeconds { get; set; } = 900;

    /// <summary>
    /// Gets or sets how many times a run may be claimed (first start, takeovers after crashes, resumes after retry
    /// waits and hand-backs) before it ends <c>error</c>: a run that crashes its worker every time must not loop
    /// forever. Default is 20.
    /// </summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; set; } = 20;

    /// <summary>
    /// Gets or sets how long a stopping worker (SIGTERM) lets the step in flight finish before it abandons it, in
    /// seconds. Either way it then releases the lease and requeues the run. Keep it below MassTransit's stop timeout
    /// (30 s) and the orchestrator's grace period (Kubernetes: 30 s). Default is 10.
    /// </summary>
    [Range(0, 600)]
    public double ShutdownGraceSeconds { get; set; } = 10;

    /// <summary>
    /// Gets or sets how often the worker writes its report (slots, busy slots, the run queue's depth) to
    /// <c>agent.worker_reports</c> for the console's system page, in seconds. Default is 5.
    /// </summary>
    [Range(1, 3600)]
    public int ReportSeconds { get; set; } = 5;

    /// <summary>Gets or sets the run queue's name. Default is <c>agent-runs</c>; set through <c>Messaging:RunQueue</c>.</summary>
    public string RunQueue { get; set; } = AgentRunQueues.Runs;

    /// <summary>
    /// Gets or sets the run queues this worker consumes, as <c>name[:slots]</c>, comma-separated (e.g.
    /// <c>default:4,heavy:1</c>); set through <c>Messaging:Queues</c>. Default (null) is <c>default</c> with
    /// <see cref="Slots"/>. See <see cref="RunQueueName"/>.
    /// </summary>
    public string? Queues { get; set; }

    /// <summary>
    /// Gets the queues this worker consumes, with their slot counts (<see cref="Queues"/> parsed once, and again only
    /// if <see cref="Queues"/> or <see cref="Slots"/> change).
    /// </summary>
    /// <exception cref="FormatException"><see cref="Queues"/> is malformed (checked at start).</exception>
    public IReadOnlyList<(string Name, int Slots)> ServedQueues
    {
        get
        {
            // The worker report reads this every few seconds; the options object is bound once, so parse once.
            if (served is not { } current || current.Queues != Queues || current.Slots != Slots)
            {
                served = current = new ParsedQueues(Queues, Slots, RunQueueName.ParseSetting(Queues, Slots));
            }

            return current.Served;
        }
    }

    /// <summary>Gets how many runs this process executes at once over all its queues.</summary>
    public int TotalSlots => ServedQueues.Sum(q => q.Slots);

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

    private sealed record ParsedQueues(string? Queues, int Slots, IReadOnlyList<(string Name, int Slots)> Served);
}
