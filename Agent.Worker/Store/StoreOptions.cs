using System.ComponentModel.DataAnnotations;

namespace Agent.Worker.Store;

/// <summary>
/// Configures the worker's store sweeper (configuration section <c>Store</c>, e.g. <c>Store__SweepSeconds=30</c>).
/// </summary>
public sealed class StoreOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Store";

    /// <summary>
    /// Gets or sets how often the sweeper deletes expired store items, in seconds. Default is 60. Expired items are
    /// invisible to reads at once; the sweep only reclaims their rows.
    /// </summary>
    [Range(0.1, 86_400)]
    public double SweepSeconds { get; set; } = 60;

    /// <summary>Gets or sets the most items one delete removes (a sweep repeats it until fewer remain). Default is 1,000.</summary>
    [Range(1, 100_000)]
    public int SweepBatchSize { get; set; } = 1000;
}
