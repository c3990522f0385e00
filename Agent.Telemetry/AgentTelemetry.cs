using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Agent.Telemetry;

/// <summary>
/// The runtime's own <see cref="ActivitySource"/> and <see cref="Meter"/> (both named <see cref="Name"/>), and the
/// framework sources and meters every process subscribes to. No instrumentation packages restore here, so the
/// built-in ones are listed by name (reference/observability.md section 2.3).
/// </summary>
public static class AgentTelemetry
{
    /// <summary>The name of the runtime's activity source and meter: <c>Agent.Runtime</c>.</summary>
    public const string Name = "Agent.Runtime";

    /// <summary>
    /// The activity sources of the libraries we use: ASP.NET Core server spans, HttpClient spans (the OpenAI SDK, the
    /// OTLP exporter filters its own), Npgsql command spans, and MassTransit send/receive/consume spans. MassTransit
    /// writes the <c>MT-Activity-Id</c> header (W3C traceparent) only when someone listens to <c>MassTransit</c>, so
    /// the trace crosses the bus only because both API and worker subscribe.
    /// </summary>
    public static readonly IReadOnlyList<string> FrameworkSources = ["Microsoft.AspNetCore", "System.Net.Http", "Npgsql", "MassTransit"];

    /// <summary>The built-in meters exported besides ours: HTTP server and client, Kestrel, Npgsql, EF Core, MassTransit, runtime.</summary>
    public static readonly IReadOnlyList<string> FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "Npgsql",
        "Microsoft.EntityFrameworkCore", "MassTransit", "System.Runtime",
    ];

    private static readonly string Version =
        typeof(AgentTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.1.0";

    /// <summary>Gets the runtime's activity source (spans <c>invoke_agent</c>, <c>chat</c>, <c>execute_tool</c>).</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Gets the runtime's meter (GenAI client metrics and run metrics).</summary>
    public static Meter Meter { get; } = new(Name, Version);
}
