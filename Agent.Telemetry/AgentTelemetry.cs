using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Agent.Telemetry;

/// <summary>
/// The runtime's own <see cref="ActivitySource"/> and <see cref="Meter"/> (both named <see cref="Name"/>), and the
/// library sources and meters that have no instrumentation package and are subscribed to by name. HTTP server, HTTP
/// client, Npgsql and runtime telemetry come from the OpenTelemetry instrumentation libraries instead
/// (<c>AddAgentTelemetry</c>).
/// </summary>
public static class AgentTelemetry
{
    /// <summary>The name of the runtime's activity source and meter: <c>Agent.Runtime</c>.</summary>
    public const string Name = "Agent.Runtime";

    /// <summary>
    /// The activity sources subscribed to by name: MassTransit's send/receive/consume spans. MassTransit writes the
    /// <c>MT-Activity-Id</c> header (W3C traceparent) only when someone listens to <c>MassTransit</c>, so the trace
    /// crosses the bus only because both API and worker subscribe.
    /// </summary>
    public static readonly IReadOnlyList<string> FrameworkSources = ["MassTransit"];

    /// <summary>The meters subscribed to by name besides ours: EF Core and MassTransit.</summary>
    public static readonly IReadOnlyList<string> FrameworkMeters = ["Microsoft.EntityFrameworkCore", "MassTransit"];

    private static readonly string Version =
        typeof(AgentTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.1.0";

    /// <summary>Gets the runtime's activity source (spans <c>invoke_agent</c>, <c>chat</c>, <c>execute_tool</c>).</summary>
    public static ActivitySource Source { get; } = new(Name, Version);

    /// <summary>Gets the runtime's meter (GenAI client metrics and run metrics).</summary>
    public static Meter Meter { get; } = new(Name, Version);
}
