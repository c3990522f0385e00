namespace Agent.Persistence.Leases;

/// <summary>
/// Represents one claim of a run (table <c>agent.run_leases</c>): every change of <c>lease_epoch</c> leaves a row, so
/// a run's crash recoveries (a second worker taking the run over at epoch 2, 3 ...) stay visible after the fact.
/// </summary>
/// <remarks>
/// Written by a database trigger on <c>agent.runs</c> (<c>AFTER UPDATE OF lease_epoch</c>), not by the claim code: the
/// history cannot drift from the fencing epoch whatever statement bumps it, and the claim stays one statement.
/// </remarks>
public sealed class RunLease
{
    /// <summary>Gets or sets the run.</summary>
    public Guid RunId { get; set; }

    /// <summary>Gets or sets the fencing epoch the claim set (1 for the first claim).</summary>
    public long Epoch { get; set; }

    /// <summary>Gets or sets the tenant that owns the run.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>Gets or sets the worker instance that claimed the run (its <c>AgentWorker:InstanceId</c>).</summary>
    public string? Owner { get; set; }

    /// <summary>Gets or sets the run's attempt number after the claim.</summary>
    public int Attempt { get; set; }

    /// <summary>Gets or sets the step count the run had committed when claimed (where the new owner resumes).</summary>
    public int StepCount { get; set; }

    /// <summary>Gets or sets the previous owner whose lease this claim replaced, or null for a first claim or a released lease.</summary>
    public string? PreviousOwner { get; set; }

    /// <summary>Gets or sets when the claim was committed (UTC).</summary>
    public DateTimeOffset ClaimedAt { get; set; }
}
