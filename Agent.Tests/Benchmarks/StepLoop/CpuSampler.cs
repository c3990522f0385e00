using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Agent.Tests.Benchmarks.StepLoop;

/// <summary>
/// Samples CPU time, which the machine's other load distorts far less than wall time, every 100 ms: this process's
/// (the in-process worker's), and that of the PostgreSQL backends serving the worker's connections (found by their
/// <c>application_name</c>, read from <c>/proc/{pid}/stat</c>: utime + stime at 100 ticks/s, Linux's USER_HZ).
/// <see cref="Between"/> then gives the CPU used over any interval of the batch, such as its steady state.
/// </summary>
internal sealed class CpuSampler : IAsyncDisposable
{
    /// <summary>The <c>Application Name</c> the in-process worker's connections carry.</summary>
    public const string WorkerApplicationName = "bench-in-process-worker";

    private const double MillisecondsPerTick = 10;

    private readonly List<(long At, double Process, double? Backends)> samples = [];
    private readonly CancellationTokenSource stop = new();
    private readonly NpgsqlDataSource dataSource;
    private readonly Task loop;

    private CpuSampler(NpgsqlDataSource dataSource)
    {
        this.dataSource = dataSource;
        loop = SampleAsync(stop.Token);
    }

    /// <summary>Starts sampling.</summary>
    /// <param name="dataSource">Any data source on the server (its own backend is not counted).</param>
    /// <returns>The sampler; dispose it to stop.</returns>
    public static CpuSampler Start(NpgsqlDataSource dataSource) => new(dataSource);

    /// <summary>Gets the CPU used between two instants, interpolated between samples.</summary>
    /// <param name="from">The start, in <see cref="Stopwatch"/> ticks.</param>
    /// <param name="to">The end, in <see cref="Stopwatch"/> ticks.</param>
    /// <returns>This process's CPU ms, and the worker's PostgreSQL backends' CPU ms (null when /proc cannot show them).</returns>
    public (double ProcessMs, double? BackendsMs) Between(long from, long to)
    {
        lock (samples)
        {
            var backends = samples.All(s => s.Backends is not null)
                ? At(to, s => s.Backends!.Value) - At(from, s => s.Backends!.Value)
                : (double?)null;
            return (At(to, s => s.Process) - At(from, s => s.Process), backends);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
#pragma warning disable VSTHRD003 // The loop was started by this object's constructor; awaiting it here is its join.
            await loop;
#pragma warning restore VSTHRD003
        }
        catch (OperationCanceledException)
        {
            // Stopping is the expected way out of the loop.
        }

        stop.Dispose();
    }

    private double At(long at, Func<(long At, double Process, double? Backends), double> value)
    {
        var after = samples.FindIndex(s => s.At >= at);
        if (after <= 0)
        {
            return value(samples[after < 0 ? ^1 : 0]);
        }

        var (a, b) = (samples[after - 1], samples[after]);
        return value(a) + ((value(b) - value(a)) * (at - a.At) / (b.At - a.At));
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            var backends = await BackendsMillisecondsAsync(cancellationToken);
            using var process = Process.GetCurrentProcess();
            lock (samples)
            {
                samples.Add((Stopwatch.GetTimestamp(), process.TotalProcessorTime.TotalMilliseconds, backends));
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    private async Task<double?> BackendsMillisecondsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE application_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = WorkerApplicationName });
        var total = 0.0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string text;
            try
            {
                text = await File.ReadAllTextAsync($"/proc/{reader.GetInt32(0)}/stat", cancellationToken);
            }
            catch (IOException)
            {
                // Not on this machine, or the backend just ended.
                return null;
            }

            // Fields after the command name (in parentheses, may hold spaces): state is field 3, so utime (field 14)
            // and stime (field 15) are at 11 and 12.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MillisecondsPerTick;
        }

        return total;
    }
}
