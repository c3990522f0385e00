using System.CommandLine;
using Agent.Persistence;
using Agent.Persistence.Documents;
using Agent.Telemetry.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Hosting;

/// <summary>
/// The worker's command line (System.CommandLine): <c>run</c> (the default) executes runs; <c>migrate</c> brings the
/// database up to date; <c>ingest [--collection NAME] [--path DIR]</c> loads a document collection (the manual by default); <c>keys create|list|revoke</c> manages API keys;
/// <c>eval</c> scores retrieval on the question set. A deployment runs migrate (and ingest) once before starting the API and the workers.
/// </summary>
internal static class WorkerCommandLine
{
    /// <summary>Builds the root command; each command builds its own host from <paramref name="args"/>.</summary>
    /// <param name="args">The process's arguments (also the hosts' command-line configuration).</param>
    /// <param name="configure">Adds a deployer's graphs, tools and settings to each host (<see cref="AgentWorkerApplication"/>).</param>
    /// <returns>The root command.</returns>
    public static RootCommand Create(string[] args, Action<IHostApplicationBuilder> configure)
    {
        HostApplicationBuilder Builder()
        {
            var builder = BasicBuilder(args);
            configure(builder);
            return builder;
        }

        Task<int> RunAsync()
        {
            var builder = Builder();
            builder.Services.AddAgentRunExecution(builder.Configuration);
            return RunHostAsync(builder);
        }

        var run = new Command("run", "Executes runs from the run queue until stopped (the default).");
        run.SetAction((_, _) => RunAsync());

        var migrate = new Command("migrate", "Applies pending migrations and seeds the system assistant; idempotent.");
        migrate.SetAction((_, cancellationToken) => MigrateAsync(Builder(), cancellationToken));

        var path = new Option<string>("--path")
        {
            Description = "The directory to ingest, recursively: .html/.htm, .md/.markdown, .txt/.text and .pdf files. " +
                          "Default: the PostgreSQL manual's pages.",
            DefaultValueFactory = _ => WorkerCommands.DefaultCorpusPath,
        };
        var collection = new Option<string>("--collection")
        {
            Description = "The document collection to fill (lowercase letters, digits, '.', '_', '-'). Default: postgresql-15.",
            DefaultValueFactory = _ => DocumentCollectionName.Default,
        };
        var ingest = new Command(
            "ingest",
            "Ingests a directory into a document collection (default: the PostgreSQL manual into postgresql-15): " +
            "new and changed files are read, unchanged ones skipped, files gone from the directory removed.")
        {
            collection,
            path,
        };
        ingest.SetAction((parse, _) => WorkerCommands.IngestAsync(Builder(), parse.GetValue(collection)!, parse.GetValue(path)!));

        // eval parses its own options (EvalCommand documents them), so unmatched tokens are passed through to it.
        var eval = new Command("eval", "Scores retrieval and the agent on the question set (deploy/local/eval.sh).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        eval.SetAction((_, _) => Evaluation.EvalCommand.RunAsync(Builder(), args));

        var root = new RootCommand("The agent worker.") { run, migrate, ingest, eval, ApiKeyCommands.Create(Builder) };
        root.SetAction((_, _) => RunAsync());
        return root;
    }

    private static HostApplicationBuilder BasicBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAgentLogging(builder.Configuration, "agent-worker");
        builder.Services.AddAgentWorkerBasics(builder.Configuration);
        return builder;
    }

    private static async Task<int> RunHostAsync(HostApplicationBuilder builder)
    {
        using var host = builder.Build();
        await host.RunAsync();
        return 0;
    }

    private static async Task<int> MigrateAsync(HostApplicationBuilder builder, CancellationToken cancellationToken)
    {
        using var host = builder.Build();
        await using var scope = host.Services.CreateAsyncScope();
        var applied = await scope.ServiceProvider.GetRequiredService<AgentDatabaseMigrator>().MigrateAsync(cancellationToken);
        await Console.Out.WriteLineAsync($"migrate: {applied.Count} migration(s) applied; database is current.");
        return 0;
    }
}
