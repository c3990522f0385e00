using Agent.Telemetry.Health;
using Agent.Telemetry.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Agent.Worker.Telemetry;

/// <summary>
/// The worker's management HTTP endpoint (a small Kestrel server beside the bus consumers): <c>GET /ok</c>,
/// <c>/health/live</c>, <c>/health/ready</c> (PostgreSQL, the bus), <c>/health/deep</c> (plus one model call) and
/// <c>/metrics</c> (Prometheus). It listens on <c>Management:Urls</c>; the default <c>http://127.0.0.1:0</c> takes a
/// free loopback port (several local workers cannot share one), and the address is logged as
/// "Management endpoint listening on ...". Deployments set a fixed one, e.g. <c>http://0.0.0.0:9464</c>.
/// </summary>
/// <param name="services">The worker's services (the health checks and the meter provider are read from them).</param>
/// <param name="configuration">The configuration.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class WorkerManagementEndpoint(IServiceProvider services, IConfiguration configuration, ILogger<WorkerManagementEndpoint> logger)
    : IHostedService, IAsyncDisposable
{
    /// <summary>The setting naming the addresses to listen on.</summary>
    public const string UrlsSetting = "Management:Urls";

    /// <summary>The address used when <see cref="UrlsSetting"/> is unset.</summary>
    public const string DefaultUrls = "http://127.0.0.1:0";

    private WebApplication? app;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls((configuration[UrlsSetting] is { Length: > 0 } urls ? urls : DefaultUrls).Split(';'));
        // The worker's own instances: the same checks (the bus's included) and the same metrics pipeline. Requests here
        // are seen by the worker's ASP.NET Core instrumentation, whose filter leaves probes and scrapes untraced.
        builder.Services.AddSingleton(services.GetRequiredService<HealthCheckService>());
        app = builder.Build();
        app.MapGet("/ok", () => Results.Json(new { ok = true }));
        app.MapAgentHealthChecks(deep: true);
        app.MapAgentMetrics(services.GetRequiredService<MeterProvider>());
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        LogListening(logger, string.Join(", ", addresses));
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (app is not null)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Management endpoint listening on {Addresses}")]
    private static partial void LogListening(ILogger logger, string addresses);
}
