using System.Net;
using System.Net.Sockets;
using Agent.Persistence;
using Agent.Worker.Ingestion;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// A whole deployment for end-to-end tests: a fresh migrated database with a few real manual pages ingested, a
/// run queue of its own on the real RabbitMQ, and real API and worker processes started from the build output.
/// </summary>
internal sealed class AgentSystem : IAsyncDisposable
{
    /// <summary>The manual pages ingested for end-to-end runs.</summary>
    public static readonly string[] ManualPages =
    [
        "sql-createindex.html", "textsearch-indexes.html", "textsearch-tables.html", "indexes-types.html", "gin-intro.html",
        "sql-select.html", "routine-vacuuming.html",
    ];

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly List<ServiceProcess> processes = [];

    private AgentSystem(TestDatabase database, string queue, string rabbitMqUri, string workerProject)
    {
        WorkerProject = workerProject;
        Database = database;
        Queue = queue;
        RabbitMqUri = rabbitMqUri;
    }

    /// <summary>
    /// Gets the bootstrap API key every API process of this system accepts (tenant <c>default</c>, every scope), and
    /// that <see cref="Client"/> sends by default: the test suite authenticates as <c>deploy/local/up.sh</c> does.
    /// </summary>
    public string ApiKey { get; } = "test-bootstrap-" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Gets the project whose program the workers run: <c>Agent.Worker</c>, or a deployer's own worker host such as
    /// <c>samples/SupportAgent</c>.
    /// </summary>
    public string WorkerProject { get; }

    /// <summary>Gets the RabbitMQ the processes use.</summary>
    public string RabbitMqUri { get; }

    /// <summary>Gets the database.</summary>
    public TestDatabase Database { get; }

    /// <summary>Gets the run queue's name, unique to this system.</summary>
    public string Queue { get; }

    /// <summary>Gets the API processes' base addresses.</summary>
    public List<Uri> Apis { get; } = [];

    /// <summary>Gets the API processes, in <see cref="Apis"/> order.</summary>
    public List<ServiceProcess> ApiProcesses { get; } = [];

    /// <summary>Gets the worker processes.</summary>
    public List<ServiceProcess> Workers { get; } = [];

    /// <summary>Gets each worker's management endpoint (<c>/metrics</c>, <c>/health/*</c>), in <see cref="Workers"/> order.</summary>
    public List<Uri> WorkerManagement { get; } = [];

    /// <summary>Gets the directory of the PostgreSQL manual (<c>AGENT_TEST_MANUAL</c>, default Debian's).</summary>
    public static string ManualDirectory { get; } =
        Environment.GetEnvironmentVariable("AGENT_TEST_MANUAL") ?? "/usr/share/doc/postgresql-doc-15/html";

    /// <summary>Starts a system.</summary>
    /// <param name="apiCount">How many API processes.</param>
    /// <param name="workerEnvironment">Extra environment for the worker (e.g. <c>OPENAI_BASE_URL</c>).</param>
    /// <param name="apiEnvironment">Extra environment for the API processes (e.g. telemetry settings).</param>
    /// <returns>The running system.</returns>
    public static Task<AgentSystem> StartAsync(
        int apiCount, IReadOnlyDictionary<string, string?>? workerEnvironment = null, IReadOnlyDictionary<string, string?>? apiEnvironment = null) =>
        StartAsync(apiCount, workerEnvironment, TestEnvironment.PostgresServer, TestEnvironment.RabbitMqUri, apiEnvironment);

    /// <summary>Starts a system on given servers (e.g. private instances a test restarts).</summary>
    /// <param name="apiCount">How many API processes.</param>
    /// <param name="workerEnvironment">Extra environment for the worker (e.g. <c>OPENAI_BASE_URL</c>).</param>
    /// <param name="postgresServer">The PostgreSQL server's connection string, without a database name.</param>
    /// <param name="rabbitMqUri">The RabbitMQ URI.</param>
    /// <param name="apiEnvironment">Extra environment for the API processes.</param>
    /// <param name="workerProject">The workers' project (<see cref="WorkerProject"/>); default <c>Agent.Worker</c>.</param>
    /// <returns>The running system.</returns>
    public static async Task<AgentSystem> StartAsync(
        int apiCount,
        IReadOnlyDictionary<string, string?>? workerEnvironment,
        string postgresServer,
        string rabbitMqUri,
        IReadOnlyDictionary<string, string?>? apiEnvironment = null,
        string workerProject = "Agent.Worker")
    {
        if (!File.Exists(Path.Combine(ManualDirectory, ManualPages[0])))
        {
            Assert.Ignore($"The PostgreSQL manual is not at {ManualDirectory}; install postgresql-doc-15 (deploy/local/services.sh does).");
        }

        var database = await TestDatabase.CreateAsync(postgresServer);
        var system = new AgentSystem(database, "agent-runs-test-" + Guid.NewGuid().ToString("N")[..8], rabbitMqUri, workerProject);
        try
        {
            await using (var context = database.CreateContext())
            {
                await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
            }

            var ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
            await ingestor.IngestFilesAsync(ManualPages.Select(p => Path.Combine(ManualDirectory, p)), CancellationToken.None);

            for (var i = 0; i < apiCount; i++)
            {
                system.StartApi(apiEnvironment);
            }

            await system.AddWorkerAsync(workerEnvironment);
            foreach (var api in system.Apis)
            {
                await WaitUntilHealthyAsync(api);
            }

            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts one more API process (e.g. with other limits) and waits until it answers <c>/ok</c>.</summary>
    /// <param name="apiEnvironment">Extra environment (e.g. <c>RateLimit__Burst</c>).</param>
    /// <returns>The API's index, for <see cref="Client"/>.</returns>
    public async Task<int> AddApiAsync(IReadOnlyDictionary<string, string?>? apiEnvironment = null)
    {
        var url = StartApi(apiEnvironment);
        await WaitUntilHealthyAsync(url);
        return Apis.Count - 1;
    }

    /// <summary>Starts one more worker process and waits until it is ready.</summary>
    /// <param name="workerEnvironment">Extra environment.</param>
    /// <returns>The worker.</returns>
    public async Task<ServiceProcess> AddWorkerAsync(IReadOnlyDictionary<string, string?>? workerEnvironment = null)
    {
        var environment = ProcessEnvironment(workerEnvironment);
        var management = new Uri($"http://127.0.0.1:{FreePort()}");
        environment["Management__Urls"] = management.ToString();
        var worker = ServiceProcess.Start($"worker-{Workers.Count + 1}", WorkerProject, ["run"], environment);
        processes.Add(worker);
        Workers.Add(worker);
        WorkerManagement.Add(management);
        await worker.WaitForOutputAsync("Worker ready", StartTimeout);
        return worker;
    }

    /// <summary>
    /// Runs one of the worker program's commands (e.g. <c>ingest --collection NAME --path DIR</c>) against this
    /// system's database and waits for it to exit.
    /// </summary>
    /// <param name="arguments">The command and its options.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="environment">Extra environment (e.g. a judge model's endpoint), over the system's.</param>
    /// <returns>The exit code and the process's output.</returns>
    public async Task<(int ExitCode, string Output)> RunWorkerCommandAsync(
        IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var command = ServiceProcess.Start("worker-command", WorkerProject, arguments, ProcessEnvironment(environment));
        var exit = await command.WaitForExitAsync(timeout);
        return (exit, command.Output);
    }

    /// <summary>Creates a client of one API process that sends an API key in <c>x-api-key</c>, as the LangGraph SDKs do.</summary>
    /// <param name="api">The API's index.</param>
    /// <param name="apiKey">The key; default <see cref="ApiKey"/>; empty sends none.</param>
    /// <returns>The client (dispose it).</returns>
    public HttpClient Client(int api = 0, string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Apis[api], Timeout = TimeSpan.FromMinutes(2) };
        apiKey ??= ApiKey;
        if (apiKey.Length > 0)
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        return client;
    }

    /// <summary>Gets every process's output, for a failing test's report.</summary>
    /// <returns>The logs, each headed by its process name.</returns>
    public string Logs() => string.Join("\n", processes.Select(p => $"===== {p.Name} =====\n{p.Output}"));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    private Uri StartApi(IReadOnlyDictionary<string, string?>? apiEnvironment)
    {
        var url = new Uri($"http://127.0.0.1:{FreePort()}");
        var api = ServiceProcess.Start($"api-{Apis.Count + 1}", "Agent.Api", ["--urls", url.ToString()], ProcessEnvironment(apiEnvironment));
        processes.Add(api);
        ApiProcesses.Add(api);
        Apis.Add(url);
        return url;
    }

    private Dictionary<string, string?> ProcessEnvironment(IReadOnlyDictionary<string, string?>? extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Agent"] = Database.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = RabbitMqUri,
            ["Messaging__RunQueue"] = Queue,
            // A developer's own key must not turn the offline test system into a paid one.
            ["OPENAI_API_KEY"] = null,
            ["OPENAI_BASE_URL"] = null,
            ["AGENT_MODEL"] = null,
            ["ASPNETCORE_URLS"] = null,
            ["AGENT_BOOTSTRAP_API_KEY"] = ApiKey,
            ["AGENT_BOOTSTRAP_TENANT"] = null,
            ["Auth__Disabled"] = null,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Finds a free loopback TCP port.</summary>
    /// <returns>The port.</returns>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilHealthyAsync(Uri api)
    {
        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(5) };
        // Not listening yet, or (a loaded machine, the first request's JIT) slower than the client's timeout.
        var healthy = await Poll.UntilAsync(
            async () => (await client.GetAsync(new Uri("/ok", UriKind.Relative))).IsSuccessStatusCode,
            ok => ok,
            StartTimeout,
            retryOn: e => e is HttpRequestException or TaskCanceledException);
        if (!healthy)
        {
            throw new TimeoutException($"{api} did not answer /ok within {StartTimeout}.");
        }
    }
}
