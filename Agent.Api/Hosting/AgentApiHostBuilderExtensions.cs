using Agent.Api.Auth;
using Agent.Api.Runs;
using Agent.Api.Streaming;
using Agent.Hosting;
using MassTransit;
using Microsoft.AspNetCore.HttpLogging;

namespace Agent.Api.Hosting;

/// <summary>
/// Registers the API's parts.
/// </summary>
internal static class AgentApiHostBuilderExtensions
{
    /// <summary>The port LangGraph SDK clients call by default (<c>http://localhost:8123</c>).</summary>
    public const string DefaultUrl = "http://localhost:8123";

    /// <summary>The largest request body accepted, in bytes. Default is 1 MiB; larger bodies get 413.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Adds logging, persistence, the bus and the run services.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder AddAgentApi(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.Logging.AddAgentLogging(builder.Configuration, "agent-api");
        builder.Services.AddHttpLogging(logging =>
        {
            // One line per request, without headers or bodies (they may hold keys and prompts).
            logging.LoggingFields = HttpLoggingFields.RequestMethod | HttpLoggingFields.RequestPath
                                    | HttpLoggingFields.ResponseStatusCode | HttpLoggingFields.Duration;
            logging.CombineLogs = true;
        });

        var database = builder.Configuration.GetConnectionString("Agent") ?? "Host=localhost;Username=agent;Password=agent;Database=agent";
        builder.Services.AddAgentPersistence(database);
        builder.Services.AddAgentAuthentication();
        builder.Services.AddSingleton<RunEventBroker>();
        builder.Services.AddScoped<RunSubmitter>();
        builder.Services.AddScoped<RunCanceller>();
        builder.Services.AddScoped<RunWaiter>();
        builder.Services.AddScoped<RunStreamRelay>();

        var rabbitMq = new Uri(builder.Configuration.GetConnectionString("RabbitMq") ?? "amqp://guest:guest@localhost:5672/");
        builder.Services.AddMassTransit(bus =>
        {
            bus.DisableUsageTelemetry();
            bus.AddConsumer<AgentRunEventRecordedConsumer>().ExcludeFromConfigureEndpoints();
            bus.AddConsumer<AgentRunTokenStreamedConsumer>().ExcludeFromConfigureEndpoints();
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(rabbitMq);
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
}
