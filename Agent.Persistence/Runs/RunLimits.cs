using System.ComponentModel.DataAnnotations;

namespace Agent.Persistence.Runs;

/// <summary>
/// The tenant's run limit, read by every process that accepts runs (the API and the workers' run scheduler, for crons) from the
/// same section <c>Limits</c> (environment <c>Limits__MaxConcurrentRunsPerTenant</c>), so a deployment sets it once.
/// </summary>
public sealed class RunLimits
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Limits";

    /// <summary>
    /// Gets or sets how many runs one tenant may have pending or running at once. Default 100; 0 turns the limit off.
    /// An API submission beyond it answers 429; a cron tick beyond it waits until the tenant is under the limit.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxConcurrentRunsPerTenant { get; set; } = 100;
}
