using System.Diagnostics;
using System.Text;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// One of the project's built programs (Agent.Api or Agent.Worker) running as a real process, with its output
/// captured so a test can wait for a line and show the log when it fails.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> waiters = [];

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    /// <summary>Gets the name used in logs, e.g. <c>api-1</c>.</summary>
    public string Name { get; }

    /// <summary>Gets everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Gets the path of a project's built program, in the configuration these tests were built in.</summary>
    /// <param name="project">The project's folder under the repository root, e.g. <c>Agent.Api</c> or <c>samples/SupportAgent</c>; the program is named after its last segment.</param>
    /// <returns>The path of <c>{project}/bin/{configuration}/{framework}/{name}.dll</c>.</returns>
    public static string ProgramPath(string project)
    {
        // The tests run from Agent.Tests/bin/{Configuration}/net10.0/; the programs sit in the same layout.
        var framework = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var path = Path.Combine(TestEnvironment.RepositoryRoot, project, "bin", configuration, framework.Name, Path.GetFileName(project) + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first ({path} is missing).", path);
    }

    /// <summary>Starts a built program with <c>dotnet</c>.</summary>
    /// <param name="name">A name for logs.</param>
    /// <param name="project">The project, e.g. <c>Agent.Worker</c>.</param>
    /// <param name="arguments">Command-line arguments.</param>
    /// <param name="environment">Environment variables to set; a null value removes the variable.</param>
    /// <returns>The running process.</returns>
    public static ServiceProcess Start(string name, string project, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var program = ProgramPath(project);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(program)!,
        };
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, process);
        process.OutputDataReceived += (_, e) => service.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => service.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Waits until the process prints a line containing <paramref name="text"/>.</summary>
    /// <param name="text">The text to wait for.</param>
    /// <param name="timeout">The deadline.</param>
    /// <returns>A task that completes when the line appears.</returns>
    /// <exception cref="TimeoutException">The line did not appear in time, or the process exited.</exception>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (output)
        {
            if (output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            waiters.Add((text, seen));
        }

        var exited = process.WaitForExitAsync();
        var finished = await Task.WhenAny(seen.Task, exited, Task.Delay(timeout));
        if (finished != seen.Task)
        {
            throw new TimeoutException($"{Name} did not print '{text}' within {timeout} (exited: {process.HasExited}).\n{Output}");
        }
    }

    /// <summary>Gets the operating system's process id.</summary>
    public int ProcessId => process.Id;

    /// <summary>Gets a value indicating whether the process has exited.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Gets the exit code (valid once <see cref="HasExited"/>).</summary>
    public int ExitCode => process.ExitCode;

    /// <summary>Sends a POSIX signal to the process (and only to it) with <c>kill -s</c>.</summary>
    /// <param name="signal">The signal name: <c>TERM</c>, <c>KILL</c>, <c>STOP</c>, <c>CONT</c>.</param>
    /// <returns>A task completing once <c>kill</c> has delivered it.</returns>
    /// <exception cref="InvalidOperationException"><c>kill</c> failed (e.g. the process is gone).</exception>
    public async Task SignalAsync(string signal)
    {
        var start = new ProcessStartInfo("kill") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-s");
        start.ArgumentList.Add(signal);
        start.ArgumentList.Add(process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start(start)!;
        var error = await kill.StandardError.ReadToEndAsync();
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -s {signal} {process.Id} failed: {error}");
        }
    }

    /// <summary>Waits for a one-shot command (e.g. <c>Agent.Worker keys create</c>) to exit.</summary>
    /// <param name="timeout">The deadline.</param>
    /// <returns>The exit code.</returns>
    /// <exception cref="TimeoutException">The process did not exit in time.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout}.\n{Output}");
        }

        // WaitForExitAsync also waits for the redirected output to be read to its end.
        return process.ExitCode;
    }

    /// <summary>Kills the process at once, as a crash would (SIGKILL).</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Kill();
        await process.WaitForExitAsync();
        process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
            foreach (var waiter in waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                waiter.Seen.TrySetResult();
                waiters.Remove(waiter);
            }
        }
    }
}
