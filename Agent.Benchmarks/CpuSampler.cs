using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Agent.Benchmarks;

/// <summary>
/// Samples CPU time every 250 ms from named sources: this process, child processes (the API and workers this benchmark
/// started), and PostgreSQL backends. CPU time is distorted far less than wall time by the machine's other load, so it
/// shows where a step's work goes. <see cref="Between(long, long)"/> interpolates the CPU used over any interval, such
/// as a batch's steady state. Read from <c>/proc/{pid}/stat</c> (utime + stime at 100 ticks/s, Linux's USER_HZ); a
/// source that cannot be read (PostgreSQL on another machine) reports nothing.
/// </summary>
internal sealed class CpuSampler : IAsyncDisposable
{
    private const double MillisecondsPerTick = 10;

    private readonly (string Name, Func<CancellationToken, Task<double?>> Read)[] sources;
    private readonly List<(long Ticks, DateTimeOffset At, double?[] Values)> samples = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    private CpuSampler((string Name, Func<CancellationToken, Task<double?>> Read)[] sources)
    {
        this.sources = sources;
        loop = SampleAsync(stop.Token);
    }

    /// <summary>Starts sampling.</summary>
    /// <param name="sources">Named sources, each returning a cumulative CPU time in ms (or null when unreadable).</param>
    /// <returns>The sampler; dispose it to stop.</returns>
    public static CpuSampler Start(params (string Name, Func<CancellationToken, Task<double?>> Read)[] sources) => new(sources);

    /// <summary>Reads this process's CPU time.</summary>
    /// <param name="cancellationToken">Not used.</param>
    /// <returns>The time in ms.</returns>
    public static Task<double?> ThisProcessAsync(CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        return Task.FromResult<double?>(process.TotalProcessorTime.TotalMilliseconds);
    }

    /// <summary>
    /// Reads the CPU time of this process's background JIT thread (".NET Tiered Compilation", which recompiles hot
    /// methods optimised in the first seconds or minutes of a process): a warm-up cost, not a per-step one.
    /// </summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The time in ms.</returns>
    public static async Task<double?> ThisProcessJitAsync(CancellationToken cancellationToken) =>
        await JitThreadMillisecondsAsync(Environment.ProcessId, cancellationToken);

    /// <summary>Gets a source: the CPU time of the running child processes of this one whose command line contains a text.</summary>
    /// <param name="commandLine">E.g. <c>Agent.Worker.dll</c>.</param>
    /// <param name="jitOnly">Whether to count only their background JIT thread (see <see cref="ThisProcessJitAsync"/>).</param>
    /// <returns>The source.</returns>
    public static Func<CancellationToken, Task<double?>> ChildProcesses(string commandLine, bool jitOnly = false) => async cancellationToken =>
    {
        var total = 0.0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var fields = StatFields(await File.ReadAllTextAsync(Path.Combine(directory, "stat"), cancellationToken));
                // Field 4 (ppid) is at 1 after the command name.
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == Environment.ProcessId
                    && (await File.ReadAllTextAsync(Path.Combine(directory, "cmdline"), cancellationToken)).Contains(commandLine, StringComparison.Ordinal))
                {
                    total += jitOnly ? await JitThreadMillisecondsAsync(pid, cancellationToken) : CpuMilliseconds(fields);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return total;
    };

    /// <summary>Gets a source: the CPU time of the PostgreSQL backends that a condition on <c>pg_stat_activity</c> selects.</summary>
    /// <param name="dataSource">Any data source on the server (the sampler's own backend never counts).</param>
    /// <param name="condition">The condition, with parameters <c>$1</c>, <c>$2</c> ..., e.g. <c>application_name = $1</c>.</param>
    /// <param name="values">The parameters' values.</param>
    /// <returns>The source.</returns>
    public static Func<CancellationToken, Task<double?>> Backends(NpgsqlDataSource dataSource, string condition, params string[] values) => async cancellationToken =>
    {
        await using var command = dataSource.CreateCommand($"SELECT pid FROM pg_stat_activity WHERE ({condition}) AND pid <> pg_backend_pid()");
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        var total = 0.0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            try
            {
                total += CpuMilliseconds(StatFields(await File.ReadAllTextAsync($"/proc/{reader.GetInt32(0)}/stat", cancellationToken)));
            }
            catch (DirectoryNotFoundException)
            {
                return null;
            }
            catch (FileNotFoundException)
            {
                // The backend ended while we looked (or the server is on another machine).
            }
        }

        return total;
    };

    /// <summary>Gets the CPU used by each source between two instants, interpolated between samples.</summary>
    /// <param name="from">The start, in <see cref="Stopwatch"/> ticks.</param>
    /// <param name="to">The end, in <see cref="Stopwatch"/> ticks.</param>
    /// <returns>CPU ms per source name; null for a source that could not be read.</returns>
    public IReadOnlyDictionary<string, double?> Between(long from, long to) => Between(s => s.Ticks, from, to);

    /// <summary>Gets the CPU used by each source between two instants of the wall clock, interpolated between samples.</summary>
    /// <param name="from">The start.</param>
    /// <param name="to">The end.</param>
    /// <returns>CPU ms per source name; null for a source that could not be read.</returns>
    public IReadOnlyDictionary<string, double?> Between(DateTimeOffset from, DateTimeOffset to) =>
        Between(s => s.At.UtcTicks, from.UtcTicks, to.UtcTicks);

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

    private static async Task<double> JitThreadMillisecondsAsync(int pid, CancellationToken cancellationToken)
    {
        var total = 0.0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var stat = await File.ReadAllTextAsync(Path.Combine(task, "stat"), cancellationToken);
                // The kernel keeps 15 characters of a thread's name.
                if (stat.Contains("(.NET Tiered Com)", StringComparison.Ordinal))
                {
                    total += CpuMilliseconds(StatFields(stat));
                }
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }

        return total;
    }

    // Fields after the command name (in parentheses, may hold spaces): state (field 3) is at 0.
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    // utime (field 14) and stime (field 15) are at 11 and 12.
    private static double CpuMilliseconds(string[] fields) =>
        (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MillisecondsPerTick;

    private Dictionary<string, double?> Between(Func<(long Ticks, DateTimeOffset At, double?[] Values), long> time, long from, long to)
    {
        lock (samples)
        {
            var result = new Dictionary<string, double?>();
            for (var i = 0; i < sources.Length; i++)
            {
                var source = i;
                result[sources[i].Name] = samples.Count == 0 || samples.Any(s => s.Values[source] is null)
                    ? null
                    : At(time, to, s => s.Values[source]!.Value) - At(time, from, s => s.Values[source]!.Value);
            }

            return result;
        }
    }

    private double At(
        Func<(long Ticks, DateTimeOffset At, double?[] Values), long> time, long at, Func<(long Ticks, DateTimeOffset At, double?[] Values), double> value)
    {
        var after = samples.FindIndex(s => time(s) >= at);
        if (after <= 0)
        {
            return value(samples[after < 0 ? ^1 : 0]);
        }

        var (a, b) = (samples[after - 1], samples[after]);
        return value(a) + ((value(b) - value(a)) * (at - time(a)) / (time(b) - time(a)));
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        do
        {
            var values = new double?[sources.Length];
            for (var i = 0; i < sources.Length; i++)
            {
                values[i] = await sources[i].Read(cancellationToken);
            }

            lock (samples)
            {
                samples.Add((Stopwatch.GetTimestamp(), DateTimeOffset.UtcNow, values));
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
}
