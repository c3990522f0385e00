using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Agent.Tests.Faults;

/// <summary>
/// Runs the commands that start, restart and stop a private server instance (never the shared servers other tests
/// use), and finds free ports.
/// </summary>
internal static class PrivateServers
{
    /// <summary>Finds a free TCP port on the loopback interface.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a command to completion and returns its output; a non-zero exit fails.</summary>
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Extra environment variables.</param>
    /// <param name="timeout">The deadline.</param>
    /// <returns>Standard output and error.</returns>
    /// <exception cref="InvalidOperationException">The command failed or timed out.</exception>
    public static async Task<string> RunAsync(
        string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // su and the server tools complain when the target user cannot enter the working directory.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(90));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} timed out.\n{Text(output)}");
        }

        return process.ExitCode == 0
            ? Text(output)
            : throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}.\n{Text(output)}");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

/// <summary>
/// A private PostgreSQL 15 instance for one fixture: its own data directory under a temporary folder and its own
/// port, run as the <c>postgres</c> OS user (initdb refuses root), with a role <c>agent</c> allowed to create
/// databases. The fixture may restart it; the shared server is never touched.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string directory;

    private PrivatePostgres(string directory, int port)
    {
        this.directory = directory;
        Port = port;
    }

    /// <summary>Gets the port.</summary>
    public int Port { get; }

    /// <summary>Gets the connection string of the role <c>agent</c>, without a database name.</summary>
    public string ServerConnectionString => $"Host=127.0.0.1;Port={Port};Username=agent;Password=agent";

    private string DataDirectory => Path.Combine(directory, "data");

    /// <summary>Creates and starts an instance; the test is ignored when PostgreSQL 15's binaries are missing.</summary>
    /// <returns>The running instance.</returns>
    public static async Task<PrivatePostgres> StartAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "initdb")) || Environment.UserName != "root")
        {
            Assert.Ignore($"A private PostgreSQL needs {Bin} and root (to run it as the postgres user).");
        }

        var directory = Path.Combine(Path.GetTempPath(), "agent-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var instance = new PrivatePostgres(directory, PrivateServers.FreePort());
        try
        {
            await PrivateServers.RunAsync("chown", ["postgres:postgres", directory]);
            await AsPostgresAsync(Path.Combine(Bin, "initdb"), "-D", instance.DataDirectory, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8");
            await instance.StartServerAsync();
            await AsPostgresAsync(
                "/usr/bin/psql", "-h", "127.0.0.1", "-p", instance.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres",
                "-v", "ON_ERROR_STOP=1", "-qc", "CREATE ROLE agent LOGIN CREATEDB PASSWORD 'agent'");
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Restarts the server (fast shutdown: every connection is cut), waiting until it accepts connections again.</summary>
    /// <returns>pg_ctl's output, once the server is back.</returns>
    public Task<string> RestartAsync() =>
        AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "restart", "-l", LogFile, "-o", ServerOptions);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", DataDirectory, "-m", "immediate", "-w", "stop");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private string LogFile => Path.Combine(directory, "postgres.log");

    private string ServerOptions =>
        $"-p {Port} -c listen_addresses=127.0.0.1 -k {directory} -c fsync=off -c max_connections=200";

    private Task<string> StartServerAsync() =>
        AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), "-D", DataDirectory, "-w", "-t", "60", "start", "-l", LogFile, "-o", ServerOptions);

    private static Task<string> AsPostgresAsync(params string[] command) =>
        PrivateServers.RunAsync("runuser", ["-u", "postgres", "--", .. command]);
}

/// <summary>
/// A private RabbitMQ node for one fixture: its own node name, AMQP and distribution ports, data and log directories
/// under a temporary folder, and no plugins (the shared node's management port stays untouched). Debian's
/// <c>rabbitmq-server</c> runs it as the <c>rabbitmq</c> user. The fixture may restart it; the shared broker is never touched.
/// </summary>
internal sealed class PrivateRabbitMq : IAsyncDisposable
{
    private readonly string directory;
    private readonly Dictionary<string, string> environment;

    private PrivateRabbitMq(string directory, string node, int port, Dictionary<string, string> environment)
    {
        this.directory = directory;
        Node = node;
        Port = port;
        this.environment = environment;
    }

    /// <summary>Gets the node name, e.g. <c>rabbit-test-1a2b3c4d@localhost</c>.</summary>
    public string Node { get; }

    /// <summary>Gets the AMQP port.</summary>
    public int Port { get; }

    /// <summary>Gets the AMQP URI (guest may connect from anywhere on this node).</summary>
    public string Uri => $"amqp://guest:guest@127.0.0.1:{Port}/";

    /// <summary>Starts a node; the test is ignored when rabbitmq-server is missing.</summary>
    /// <returns>The running node.</returns>
    public static async Task<PrivateRabbitMq> StartAsync()
    {
        if (!File.Exists("/usr/sbin/rabbitmq-server") || Environment.UserName != "root")
        {
            Assert.Ignore("A private RabbitMQ needs Debian's rabbitmq-server and root.");
        }

        var suffix = Guid.NewGuid().ToString("N")[..8];
        var directory = Path.Combine(Path.GetTempPath(), "agent-rabbitmq-" + suffix);
        Directory.CreateDirectory(Path.Combine(directory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(directory, "log"));
        var port = PrivateServers.FreePort();
        await File.WriteAllTextAsync(Path.Combine(directory, "enabled_plugins"), "[].\n");
        await File.WriteAllTextAsync(
            Path.Combine(directory, "rabbitmq.conf"),
            $"listeners.tcp.default = {port}\nloopback_users = none\n");
        var node = $"rabbit-test-{suffix}@localhost";
        var environment = new Dictionary<string, string>
        {
            ["RABBITMQ_NODENAME"] = node,
            ["RABBITMQ_NODE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = PrivateServers.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(directory, "rabbitmq.pid"),
        };
        await PrivateServers.RunAsync("chown", ["-R", "rabbitmq:rabbitmq", directory]);
        var instance = new PrivateRabbitMq(directory, node, port, environment);

        // rabbitmq-server stays in the foreground: detach it (setsid) with its output in its own file, so it depends on
        // no pipe of ours; it is stopped by node name at the end.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec /usr/sbin/rabbitmq-server >> '{Path.Combine(directory, "log", "server.out")}' 2>&1");
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using (Process.Start(start))
        {
            // Not waited for: the node runs until DisposeAsync stops it.
        }

        try
        {
            await instance.CtlAsync("wait", environment["RABBITMQ_PID_FILE"], "--timeout", "90");
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Restarts RabbitMQ on the node (<c>rabbitmqctl stop_app</c>, then <c>start_app</c>): every connection is closed,
    /// unacknowledged deliveries return to their durable queues, and the broker comes back with its data.
    /// </summary>
    /// <returns>A task completing when the broker accepts connections again.</returns>
    public async Task RestartAsync()
    {
        await CtlAsync("stop_app");
        await CtlAsync("start_app");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(environment["RABBITMQ_PID_FILE"]))
            {
                await CtlAsync("stop");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private Task<string> CtlAsync(params string[] arguments) =>
        PrivateServers.RunAsync("rabbitmqctl", ["-n", Node, .. arguments], environment);
}
