using Agent.Tests.Infrastructure;

namespace Agent.Benchmarks.Soak;

/// <summary>
/// Resident memory (VmRSS from <c>/proc/PID/status</c>, in MB) of the system's API and worker processes over a soak,
/// and the verdict on each: flat when the median of the last third of its life is at most
/// <see cref="GrowthFactor"/> × the middle third's median + <see cref="GrowthSlackMb"/>. The first third is the
/// warm-up (JIT, pools, caches) and is left out. A process is judged only when it lived through at least half of the
/// soak (a worker killed early says nothing about a leak).
/// </summary>
internal sealed class MemorySamples
{
    /// <summary>How much the last third may exceed the middle third, as a factor: 1.25.</summary>
    public const double GrowthFactor = 1.25;

    /// <summary>How much the last third may exceed the middle third on top of the factor: 48 MB (GC heap swings).</summary>
    public const double GrowthSlackMb = 48;

    private readonly Dictionary<string, List<(double Seconds, double Mb)>> samples = [];

    /// <summary>Samples every live API and worker process of <paramref name="system"/>.</summary>
    /// <param name="elapsed">Time since the soak started.</param>
    /// <param name="system">The system.</param>
    public void Sample(TimeSpan elapsed, AgentSystem system)
    {
        foreach (var process in system.ApiProcesses.Concat(system.Workers).Where(p => !p.HasExited))
        {
            if (ProcessMemory.ResidentMb(process.ProcessId) is { } mb)
            {
                if (!samples.TryGetValue(process.Name, out var list))
                {
                    samples[process.Name] = list = [];
                }

                list.Add((elapsed.TotalSeconds, mb));
            }
        }
    }

    /// <summary>Summarises each process sampled at least three times.</summary>
    /// <param name="soak">The soak's duration.</param>
    /// <returns>One summary per process, API first.</returns>
    public IReadOnlyList<MemorySummary> Summaries(TimeSpan soak) =>
        [.. samples.Where(s => s.Value.Count >= 3).OrderBy(s => s.Key.StartsWith("api", StringComparison.Ordinal) ? 0 : 1).ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => Summarise(s.Key, s.Value, soak))];

    private static MemorySummary Summarise(string name, List<(double Seconds, double Mb)> list, TimeSpan soak)
    {
        var third = list.Count / 3;
        var first = Median(list.Take(third));
        var middle = Median(list.Skip(third).Take(third));
        var last = Median(list.Skip(2 * third));
        var lived = list[^1].Seconds - list[0].Seconds;
        return new MemorySummary(
            name,
            lived,
            first,
            middle,
            last,
            list.Max(s => s.Mb),
            SlopePerMinute(list.Skip(third).ToList()),
            Judged: lived >= soak.TotalSeconds / 2,
            Flat: last <= middle * GrowthFactor + GrowthSlackMb);
    }

    private static double Median(IEnumerable<(double Seconds, double Mb)> values)
    {
        var sorted = values.Select(v => v.Mb).Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }

    // Least-squares slope of MB over minutes.
    private static double SlopePerMinute(List<(double Seconds, double Mb)> list)
    {
        if (list.Count < 2)
        {
            return 0;
        }

        var meanX = list.Average(s => s.Seconds / 60);
        var meanY = list.Average(s => s.Mb);
        var covariance = list.Sum(s => (s.Seconds / 60 - meanX) * (s.Mb - meanY));
        var variance = list.Sum(s => Math.Pow(s.Seconds / 60 - meanX, 2));
        return variance == 0 ? 0 : covariance / variance;
    }
}

/// <summary>One process's memory over a soak.</summary>
/// <param name="Name">The process (<c>api-1</c>, <c>worker-3</c>).</param>
/// <param name="LivedSeconds">How long it was sampled, in s.</param>
/// <param name="FirstMb">Median RSS of the first third of its samples, MB.</param>
/// <param name="MiddleMb">Median RSS of the middle third, MB.</param>
/// <param name="LastMb">Median RSS of the last third, MB.</param>
/// <param name="PeakMb">Highest RSS sampled, MB.</param>
/// <param name="SlopeMbPerMinute">Least-squares slope after the first third, MB per minute.</param>
/// <param name="Judged">Whether it lived long enough to be judged.</param>
/// <param name="Flat">Whether its memory stayed flat (see <see cref="MemorySamples"/>).</param>
internal sealed record MemorySummary(
    string Name, double LivedSeconds, double FirstMb, double MiddleMb, double LastMb, double PeakMb, double SlopeMbPerMinute, bool Judged, bool Flat);
