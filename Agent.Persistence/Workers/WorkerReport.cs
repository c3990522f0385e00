namespace Agent.Persistence.Workers;

/// <summary>
/// Represents what one worker process last reported about itself (table <c>agent.worker_reports</c>): its slots, how
/// many are busy, and the run queue as it saw it. Each worker upserts its own row every few seconds; a row whose
/// <see cref="ReportedAt"/> is old belongs to a worker that stopped or died.
/// </summary>
/// <remarks>Shared infrastructure, not tenant data: rows name no run, thread or tenant.</remarks>
public sealed class WorkerReport
{
    /// <summary>Gets or sets the worker instance id (<c>AgentWorker:InstanceId</c>, also its lease owner name).</summary>
    public required string InstanceId { get; set; }

    /// <summary>Gets or sets the host name the process runs on.</summary>
    public string Host { get; set; } = "";

    /// <summary>Gets or sets the operating-system process id.</summary>
    public int ProcessId { get; set; }

    /// <summary>Gets or sets how many runs the worker executes at once (<c>AgentWorker:Slots</c>).</summary>
    public int Slots { get; set; }

    /// <summary>Gets or sets how many slots were executing a run at the report.</summary>
    public int BusySlots { get; set; }

    /// <summary>Gets or sets the run queue's name.</summary>
    public string Queue { get; set; } = "";

    /// <summary>Gets or sets the messages ready in the run queue at the worker's last read, or null when not read yet.</summary>
    public long? QueueDepth { get; set; }

    /// <summary>Gets or sets the run queue's consumers at the worker's last read, or null when not read yet.</summary>
    public long? QueueConsumers { get; set; }

    /// <summary>Gets or sets whether the worker is draining (stopping: it claims nothing new).</summary>
    public bool Draining { get; set; }

    /// <summary>Gets or sets when the process started (UTC).</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>Gets or sets when the worker last reported (UTC).</summary>
    public DateTimeOffset ReportedAt { get; set; }
}
