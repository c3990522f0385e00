using System.Diagnostics.Metrics;
using Agent.Telemetry;

namespace Agent.Worker.Telemetry;

/// <summary>
/// The worker's instruments on the <c>Agent.Runtime</c> meter. GenAI client metrics follow semantic conventions v1.41
/// (gen-ai-metrics.md) with the spec's explicit bucket boundaries, given as instrument advice (honoured by the
/// OpenTelemetry SDK since 1.10, so no view is needed). Prometheus names are in docs/operations.md.
/// </summary>
/// <remarks>
/// Costs carry the unit <c>usd</c> in lower case: UCUM has no currency, and the OpenTelemetry Prometheus exporter
/// appends a unit it does not know as written, so <c>USD</c> would export as <c>agent_model_cost_USD_total</c>.
/// </remarks>
internal static class AgentMetrics
{
    /// <summary>The unit of costs: <c>usd</c> (US dollars).</summary>
    public const string UsdUnit = "usd";

    /// <summary>The spec's buckets for <c>gen_ai.client.operation.duration</c>, in seconds.</summary>
    public static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>The spec's buckets for <c>gen_ai.client.token.usage</c>, in tokens.</summary>
    public static readonly long[] TokenBuckets =
        [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Gets <c>gen_ai.client.token.usage</c> ({token}): input and output tokens per model call (<c>gen_ai.token.type</c>).</summary>
    public static Histogram<long> TokenUsage { get; } = AgentTelemetry.Meter.CreateHistogram(
        "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used per model call.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });

    /// <summary>Gets <c>gen_ai.client.operation.duration</c> (s): the wall time of each model call, failed ones with <c>error.type</c>.</summary>
    public static Histogram<double> OperationDuration { get; } = AgentTelemetry.Meter.CreateHistogram(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Gets <c>gen_ai.client.operation.time_to_first_chunk</c> (s): streamed calls only.</summary>
    public static Histogram<double> TimeToFirstChunk { get; } = AgentTelemetry.Meter.CreateHistogram(
        "gen_ai.client.operation.time_to_first_chunk", "s", "Time to receive the first chunk of a streamed model call.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Gets <c>agent.model.cost</c> (<c>usd</c>, US dollars): cost of model calls from the price table, by provider and model.</summary>
    public static Counter<double> ModelCost { get; } = AgentTelemetry.Meter.CreateCounter<double>(
        "agent.model.cost", UsdUnit, "Cost of model calls from the price table.");

    /// <summary>Gets <c>agent.model.retries</c> ({retry}): HTTP retries of model calls by the provider SDK, by status.</summary>
    public static Counter<long> ModelRetries { get; } = AgentTelemetry.Meter.CreateCounter<long>(
        "agent.model.retries", "{retry}", "Model requests retried by the provider SDK (408, 429, 5xx, network errors).");

    /// <summary>Gets <c>agent.step.retries</c> ({retry}): in-step retries of model and tool calls, by <c>call</c> (<c>model</c>, <c>tool</c>).</summary>
    public static Counter<long> StepRetries { get; } = AgentTelemetry.Meter.CreateCounter<long>(
        "agent.step.retries", "{retry}", "Model and tool calls retried inside a step after a transient failure.");

    /// <summary>Gets <c>agent.runs.ended</c> ({run}): runs this worker ended, by <c>status</c>.</summary>
    public static Counter<long> RunsEnded { get; } = AgentTelemetry.Meter.CreateCounter<long>(
        "agent.runs.ended", "{run}", "Runs ended by this worker, by terminal status.");

    /// <summary>Gets <c>agent.run.duration</c> (s): from submission to the terminal status, queueing included.</summary>
    public static Histogram<double> RunDuration { get; } = AgentTelemetry.Meter.CreateHistogram(
        "agent.run.duration", "s", "Run latency from submission to terminal status.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320, 640, 1280] });

    /// <summary>Gets <c>agent.run.steps</c> ({step}): steps (model calls and tool rounds) per ended run.</summary>
    public static Histogram<long> RunSteps { get; } = AgentTelemetry.Meter.CreateHistogram(
        "agent.run.steps", "{step}", "Steps per ended run.",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100] });

    /// <summary>Gets <c>agent.run.cost</c> (<c>usd</c>, US dollars): cost per ended run.</summary>
    public static Histogram<double> RunCost { get; } = AgentTelemetry.Meter.CreateHistogram(
        "agent.run.cost", UsdUnit, "Cost per ended run.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] });

    /// <summary>Gets <c>agent.runs.in_flight</c> ({run}): runs this worker is executing now.</summary>
    public static UpDownCounter<long> RunsInFlight { get; } = AgentTelemetry.Meter.CreateUpDownCounter<long>(
        "agent.runs.in_flight", "{run}", "Runs this worker is executing.");

    /// <summary>
    /// Gets <c>agent.lease.takeovers</c> ({claim}): claims of a run that an earlier attempt had claimed (after a crash,
    /// an expired lease or a shutdown), by <c>redelivered</c> (the broker redelivered the command).
    /// </summary>
    public static Counter<long> LeaseTakeovers { get; } = AgentTelemetry.Meter.CreateCounter<long>(
        "agent.lease.takeovers", "{claim}", "Runs resumed by a new attempt after an earlier attempt held the lease.");
}
