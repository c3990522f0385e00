using Agent.Persistence;
using Agent.Persistence.Runs;
using Agent.Tests.Infrastructure;
using Agent.Worker.Hosting;
using Agent.Worker.Tools;
using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Json;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// A worker host inside the benchmark process, composed exactly as Agent.Worker's <c>run</c> command composes it
/// (<c>AddAgentWorkerBasics</c>, <c>AddAgentRunExecution</c>: the real executor, RunStore, MassTransit on the real
/// RabbitMQ, Serilog JSON logs), with three substitutions: the <see cref="InstantToolLoopModel"/>, the
/// <see cref="EchoPassageTool"/>, and the <see cref="ObservedRunStore"/> that times commits (and can skip them), plus
/// the <see cref="DatabaseTimeInterceptor"/> on its DbContext.
/// Logs are formatted as the worker formats them and then discarded, so their cost counts but nothing is printed.
/// </summary>
internal sealed class InProcessWorker : IAsyncDisposable
{
    /// <summary>The <c>Application Name</c> of the worker's database connections, so its PostgreSQL backends can be found.</summary>
    public const string ApplicationName = "bench-in-process-worker";

    private readonly IHost host;

    private InProcessWorker(IHost host) => this.host = host;

    /// <summary>Starts a worker consuming <paramref name="queue"/> with <paramref name="slots"/> slots.</summary>
    /// <param name="database">The database.</param>
    /// <param name="queue">The run queue.</param>
    /// <param name="slots">The slot count (prefetch and concurrency limit).</param>
    /// <param name="probe">The probe the model, the tool, the store and the bus report to.</param>
    /// <param name="toolRounds">How many tool rounds each run makes.</param>
    /// <returns>The started worker.</returns>
    public static async Task<InProcessWorker> StartAsync(TestDatabase database, string queue, int slots, StepProbe probe, int toolRounds)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Agent"] = new NpgsqlConnectionStringBuilder(database.ConnectionString)
            {
                ApplicationName = ApplicationName,
            }.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = TestEnvironment.RabbitMqUri,
            ["Messaging:RunQueue"] = queue,
            ["AgentWorker:Slots"] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AgentWorker:InstanceId"] = $"bench-in-process-{slots}",
        });
        // The levels and formatter of Shared/AgentLogging.cs; the sink discards.
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("service", "agent-worker")
            .WriteTo.Sink(new DiscardingSink(new JsonFormatter(renderMessage: true)))
            .CreateLogger();
        builder.Logging.ClearProviders().AddSerilog(logger, dispose: true);

        builder.Services.AddAgentWorkerBasics(builder.Configuration);
        builder.Services.AddAgentRunExecution(builder.Configuration);
        builder.Services.AddSingleton(probe);
        builder.Services.AddSingleton<IChatClient>(new InstantToolLoopModel(probe, toolRounds));
        builder.Services.AddSingleton<IAgentTool>(new EchoPassageTool(probe));
        builder.Services.AddScoped<RunStore, ObservedRunStore>();
        builder.Services.ConfigureDbContext<AgentDbContext>(options => options.AddInterceptors(DatabaseTimeInterceptor.Instance));
        builder.Services.AddPublishObserver(_ => new PublishTimingObserver(probe));

        var host = builder.Build();
        await host.StartAsync();
        return new InProcessWorker(host);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }

    /// <summary>Formats each log event as the worker's console sink would, then drops the text.</summary>
    /// <param name="formatter">The formatter.</param>
    private sealed class DiscardingSink(ITextFormatter formatter) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => formatter.Format(logEvent, TextWriter.Null);
    }
}
