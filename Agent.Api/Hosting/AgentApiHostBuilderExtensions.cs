using Agent.Persistence.Connections;
using Agent.Api.Auth;
using Agent.Api.Http;
using Agent.Api.RateLimiting;
using Agent.Api.Runs;
using Agent.Api.Streaming;
using Agent.Contracts.Runs;
using Agent.Telemetry.Logging;
using MassTransit;

namespace Agent.Api.Hosting;

/// <summary>
/// Registers the API's parts.
/// </summary>
internal static class AgentApiHostBuilderExtensions
{
    /// <summary>The port LangGraph SDK clients call by default (<c>http://localhost:8123</c>).</summary>
    public const string DefaultUrl = "http://localhost:8123";

    /// <summary>Adds logging, persistence, security (keys, limits, CORS), telemetry, the bus and the run services.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddAgentApi(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddOptions<ApiLimits>().Bind(builder.Configuration.GetSection(ApiLimits.SectionName))
            .ValidateDataAnnotations().ValidateOnStart();
        // Kestrel's limit answers 413 while the body is read, before any of it is buffered.
        var maxBody = builder.Configuration.GetSection(ApiLimits.SectionName).Get<ApiLimits>()?.MaxRequestBodyBytes ?? ApiLimits.Default.MaxRequestBodyBytes;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxBody);
        builder.Services.AddAgentLogging(builder.Configuration, "agent-api");

        var database = builder.Configuration.GetConnectionString("Agent") ?? "Host=localhost;Username=agent;Password=agent;Database=agent";
        var budget = (builder.Configuration.GetSection(ConnectionBudget.Section).Get<ConnectionBudget>() ?? new ConnectionBudget()).Validate();
        builder.Services.AddAgentPersistence(database, budget);
        builder.Services.AddAgentAuthentication(builder.Configuration);
        builder.Services.AddApiRateLimiting(builder.Configuration);
        builder.Services.AddHttpSecurity(builder.Configuration);
        var rabbitMq = new Uri(builder.Configuration.GetConnectionString("RabbitMq") ?? "amqp://guest:guest@localhost:5672/");
        // Before the bus: MassTransit propagates the trace only when its activity source has a listener.
        builder.Services.AddAgentTelemetry(builder.Configuration, "agent-api", rabbitMq);
        builder.Services.AddSingleton<RunEventBroker>();
        builder.Services.AddScoped<RunSubmitter>();
        builder.Services.AddSingleton(AcceptedRunQueues.From(builder.Configuration));
        builder.Services.AddScoped<RunCanceller>();
        builder.Services.AddRunDispatcher(builder.Configuration[AgentRunQueues.RunsSettingKey] ?? AgentRunQueues.Runs);
        builder.Services.AddScoped<RunWaiter>();
        builder.Services.AddScoped<RunFollower>();
        builder.Services.AddScoped<RunStreamRelay>();
        builder.Services.AddScoped<ThreadStreamRelay>();

        builder.Services.AddMassTransit(bus =>
        {
            bus.DisableUsageTelemetry();
            bus.AddConsumer<AgentRunEventRecordedConsumer>().ExcludeFromConfigureEndpoints();
            bus.AddConsumer<AgentRunTokenStreamedConsumer>().ExcludeFromConfigureEndpoints();
            bus.UsingRabbitMq((context, rabbit) =>
            {
                // Publisher confirms (MassTransit's default, stated so it is not lost): StartAgentRun is sent once the
                // broker has taken it; a send that fails leaves the committed run to the sweeper.
                rabbit.Host(rabbitMq, host => host.PublisherConfirmation = true);
                // Each replica has its own temporary queue, so every replica sees every run event (fan-out).
                rabbit.ReceiveEndpoint(
                    new TemporaryEndpointDefinition("agent-api-events"),
                    endpoint =>
                    {
                        // One at a time keeps the queue's order, so a step's token deltas reach the relay before the step
                        // (the consumers only hand messages to in-memory channels, so this costs nothing).
                        endpoint.ConcurrentMessageLimit = 1;
                        endpoint.ConfigureConsumer<AgentRunEventRecordedConsumer>(context);
                        endpoint.ConfigureConsumer<AgentRunTokenStreamedConsumer>(context);
                    });
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(host => host.WaitUntilStarted = true);
        return builder;
    }

    /// <summary>
    /// Adds the security middleware in order: security headers and CORS (so preflights and error responses carry
    /// them), authentication and the caller's tenant, the per-key rate limit (after authentication, so it can
    /// partition by key), then authorization (401/403).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication UseAgentSecurity(this WebApplication app)
    {
        app.UseHttpSecurity();
        app.UseAgentAuthentication();
        app.UseRateLimiter();
        app.UseAgentAuthorization();
        return app;
    }
}
