using Agent.Persistence;
using Agent.Telemetry.Logging;
using Agent.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Commands: `run` (default) executes runs; `migrate` brings the database up to date; `ingest [--path DIR]` loads
// the corpus; `keys create|list|revoke` manages API keys; `eval`
// scores retrieval on the question set (deploy/local/eval.sh). A deployment runs migrate (and ingest) once before
// starting the API and the workers.
var command = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "run";
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddAgentLogging(builder.Configuration, "agent-worker");
builder.Services.AddAgentWorkerBasics(builder.Configuration);

switch (command)
{
    case "migrate":
        using (var host = builder.Build())
        {
            await using var scope = host.Services.CreateAsyncScope();
            var applied = await scope.ServiceProvider.GetRequiredService<AgentDatabaseMigrator>().MigrateAsync(CancellationToken.None);
            Console.WriteLine($"migrate: {applied.Count} migration(s) applied; database is current.");
            return 0;
        }

    case "ingest":
        return await WorkerCommands.IngestAsync(builder, args);

    case "eval":
        return await Agent.Worker.Evaluation.EvalCommand.RunAsync(builder, args);

    case "keys":
        return await ApiKeyCommands.RunAsync(builder, args);

    case "run":
        builder.Services.AddAgentRunExecution(builder.Configuration);
        using (var host = builder.Build())
        {
            await host.RunAsync();
            return 0;
        }

    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: run (default), migrate, ingest [--path DIR], eval, keys create|list|revoke.");
        return 2;
}
