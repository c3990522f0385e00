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

    private AgentSystem(TestDatabase database, string queue)
    {
        Database = database;
        Queue = queue;
    }

    /// <summary>Gets the database.</summary>
    public TestDatabase Database { get; }

    /// <summary>Gets the run queue's name, unique to this system.</summary>
    public string Queue { get; }

    /// <summary>Gets the API processes' base addresses.</summary>
    public List<Uri> Apis { get; } = [];

    /// <summary>Gets the worker processes.</summary>
    public List<ServiceProcess> Workers { get; } = [];

    /// <summary>Gets the directory of the PostgreSQL manual (<c>AGENT_TEST_MANUAL</c>, default Debian's).</summary>
    public static string ManualDirectory { get; } =
        Environment.GetEnvironmentVariable("AGENT_TEST_MANUAL") ?? "/usr/share/doc/postgresql-doc-15/html";

    /// <summary>Starts a system.</summary>
    /// <param name="apiCount">How many API processes.</param>
    /// <param name="workerEnvironment">Extra environment for the worker (e.g. <c>OPENAI_BASE_URL</c>).</param>
    /// <param name="apiEnvironment">Extra environment for the API processes.</param>
    /// <returns>The running system.</returns>
    public static async Task<AgentSystem> StartAsync(
        int apiCount, IReadOnlyDictionary<string, string?>? workerEnvironment = null, IReadOnlyDictionary<string, string?>? apiEnvironment = null)
    {
        if (!File.Exists(Path.Combine(ManualDirectory, ManualPages[0])))
        {
            Assert.Ignore($"The PostgreSQL manual is not at {ManualDirectory}; install postgresql-doc-15 (deploy/local/services.sh does).");
        }

        var database = await TestDatabase.CreateAsync();
        var system = new AgentSystem(database, "agent-runs-test-" + Guid.NewGuid().ToString("N")[..8]);
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
                var url = new Uri($"http://127.0.0.1:{FreePort()}");
                system.processes.Add(ServiceProcess.Start($"api-{i + 1}", "Agent.Api", ["--urls", url.ToString()], system.ProcessEnvironment(apiEnvironment)));
                system.Apis.Add(url);
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

    /// <summary>Starts one more worker process and waits until it is ready.</summary>
    /// <param name="workerEnvironment">Extra environment.</param>
    /// <returns>The worker.</returns>
    public async Task<ServiceProcess> AddWorkerAsync(IReadOnlyDictionary<string, string?>? workerEnvironment = null)
    {
        var worker = ServiceProcess.Start($"worker-{Workers.Count + 1}", "Agent.Worker", ["run"], ProcessEnvironment(workerEnvironment));
        processes.Add(worker);
        Workers.Add(worker);
        await worker.WaitForOutputAsync("Worker ready", StartTimeout);
        return worker;
    }

    /// <summary>Creates a client of one API process.</summary>
    /// <param name="api">The API's index.</param>
    /// <returns>The client (dispose it).</returns>
    public HttpClient Client(int api = 0) => new() { BaseAddress = Apis[api], Timeout = TimeSpan.FromMinutes(2) };

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

    private Dictionary<string, string?> ProcessEnvironment(IReadOnlyDictionary<string, string?>? extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Agent"] = Database.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = TestEnvironment.RabbitMqUri,
            ["Messaging__RunQueue"] = Queue,
            // A developer's own key must not turn the offline test system into a paid one.
            ["OPENAI_API_KEY"] = null,
            ["OPENAI_BASE_URL"] = null,
            ["AGENT_MODEL"] = null,
            ["ASPNETCORE_URLS"] = null,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        return environment;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilHealthyAsync(Uri api)
    {
        using var client = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(5) };
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var deadline = DateTime.UtcNow + StartTimeout;
        while (await poll.WaitForNextTickAsync())
        {
            try
            {
                if ((await client.GetAsync(new Uri("/ok", UriKind.Relative))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{api} did not answer /ok within {StartTimeout}.");
            }
        }
    }
}
