using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Agent.Telemetry.Health;

/// <summary>
/// Maps the health endpoints (Kubernetes probe style) with ASP.NET Core health checks:
/// <list type="bullet">
/// <item><c>GET /health/live</c>: liveness; runs no check, 200 while the process serves HTTP.</item>
/// <item><c>GET /health/ready</c>: readiness; the checks tagged <see cref="ReadyTag"/>: <c>postgresql</c> and
/// <c>rabbitmq</c> (AspNetCore.HealthChecks.NpgSql and .Rabbitmq, <see cref="AddAgentReadinessChecks"/>) and the
/// MassTransit bus, which MassTransit registers as <c>masstransit-bus</c> with that tag.</item>
/// <item><c>GET /health/deep</c> (workers): readiness plus the checks tagged <see cref="DeepTag"/> (one real model call).</item>
/// </list>
/// Healthy answers 200; Degraded and Unhealthy answer 503, so a load balancer takes a degraded agent out. The body is
/// <c>{"status": "healthy|degraded|unhealthy", "checks": {name: {"status", "description", "duration_ms"}}}</c>; a failed
/// check's description is its exception's message when it gives none.
/// </summary>
public static class AgentHealthChecks
{
    /// <summary>The tag of readiness checks: <c>ready</c> (MassTransit's own tag for its bus check).</summary>
    public const string ReadyTag = "ready";

    /// <summary>The tag of the deep checks: <c>deep</c>.</summary>
    public const string DeepTag = "deep";

    /// <summary>The name of the PostgreSQL check: <c>postgresql</c>.</summary>
    public const string PostgresCheck = "postgresql";

    /// <summary>The name of the RabbitMQ check: <c>rabbitmq</c>.</summary>
    public const string RabbitMqCheck = "rabbitmq";

    /// <summary>How long a readiness check may take before it reads as Unhealthy: 5 s.</summary>
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Adds the readiness checks of the two servers, tagged <see cref="ReadyTag"/>: <c>postgresql</c> runs
    /// <c>SELECT 1</c> on the process's <c>NpgsqlDataSource</c> (AspNetCore.HealthChecks.NpgSql), and <c>rabbitmq</c>
    /// opens a channel on a connection of its own (AspNetCore.HealthChecks.Rabbitmq; MassTransit does not expose its
    /// connection, and its own <c>masstransit-bus</c> check covers the bus). Each times out after
    /// <see cref="CheckTimeout"/>.
    /// </summary>
    /// <param name="services">The services (the data source must be registered, e.g. by <c>AddAgentPersistence</c>).</param>
    /// <param name="rabbitMq">The RabbitMQ URI.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentReadinessChecks(this IServiceCollection services, Uri rabbitMq)
    {
        services.AddSingleton(new RabbitMqHealthConnection(rabbitMq));
        services.AddHealthChecks()
            .AddNpgSql(name: PostgresCheck, tags: [ReadyTag], timeout: CheckTimeout)
            .AddRabbitMQ(
                provider => provider.GetRequiredService<RabbitMqHealthConnection>().GetAsync(),
                name: RabbitMqCheck,
                tags: [ReadyTag],
                timeout: CheckTimeout);
        return services;
    }

    /// <summary>Maps <c>/health/live</c>, <c>/health/ready</c> and, when <paramref name="deep"/>, <c>/health/deep</c>.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="deep">Whether to map <c>/health/deep</c>.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapAgentHealthChecks(this IEndpointRouteBuilder endpoints, bool deep)
    {
        endpoints.MapHealthChecks("/health/live", Options(_ => false)).WithTags("System").WithName("Liveness").AllowAnonymous();
        endpoints.MapHealthChecks("/health/ready", Options(c => c.Tags.Contains(ReadyTag))).WithTags("System").WithName("Readiness").AllowAnonymous();
        if (deep)
        {
            endpoints.MapHealthChecks("/health/deep", Options(c => c.Tags.Contains(ReadyTag) || c.Tags.Contains(DeepTag)))
                .WithTags("System").WithName("DeepHealth").AllowAnonymous();
        }

        return endpoints;
    }

    private static HealthCheckOptions Options(Func<HealthCheckRegistration, bool> predicate) => new()
    {
        Predicate = predicate,
        AllowCachingResponses = false,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = WriteAsync,
    };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = new JsonObject();
        foreach (var (name, entry) in report.Entries)
        {
            checks[name] = new JsonObject
            {
                ["status"] = Status(entry.Status),
                // The packaged checks leave the description empty on failure and carry the exception instead.
                ["description"] = entry.Description ?? entry.Exception?.Message,
                ["duration_ms"] = Math.Round(entry.Duration.TotalMilliseconds, 1),
            };
        }

        context.Response.ContentType = "application/json";
        var body = new JsonObject { ["status"] = Status(report.Status), ["checks"] = checks };
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static string Status(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Degraded => "degraded",
        _ => "unhealthy",
    };
}
