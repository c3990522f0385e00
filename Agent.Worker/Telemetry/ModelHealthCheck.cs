using System.Text.Json;
using Agent.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Agent.Worker.Telemetry;

/// <summary>
/// The deep health check: one real model call with a known input, whose answer is checked. The input is the agent's
/// own situation after a search: the question <see cref="Question"/>, a <c>search_documents</c> call, and a canned
/// result whose passage says what VACUUM does; tools are offered with tool choice <c>none</c>, so the model must
/// answer in text. Healthy when the answer mentions <see cref="ExpectedTerm"/>; Unhealthy when the call fails, times
/// out, or answers something else. The offline extractive model, an LLM, and the tests' fake server all pass it.
/// </summary>
/// <remarks>
/// The result is cached for <see cref="TelemetryOptions.DeepCheckInterval"/> (one model call per interval however
/// often the probe is scraped), and concurrent probes share the call in flight.
/// </remarks>
/// <param name="chatClient">The model port, as the agent uses it (telemetry included: a probe costs what it costs).</param>
/// <param name="options">The telemetry options (interval, timeout).</param>
/// <param name="timeProvider">The clock.</param>
internal sealed class ModelHealthCheck(IChatClient chatClient, TelemetryOptions options, TimeProvider timeProvider) : IHealthCheck
{
    /// <summary>The check's name in health reports: <c>model</c>.</summary>
    public const string Name = "model";

    /// <summary>The probe's question.</summary>
    public const string Question = "What does VACUUM do?";

    /// <summary>The word the answer must contain (case-insensitive).</summary>
    public const string ExpectedTerm = "VACUUM";

    private const string CallId = "call_health_probe";

    private static readonly string CannedResult = JsonSerializer.Serialize(new
    {
        query = Question,
        results = new[]
        {
            new
            {
                document_id = 0,
                chunk_id = 0,
                source = "routine-vacuuming.html",
                title = "Routine Vacuuming",
                heading = "25.1. Routine Vacuuming",
                text = "VACUUM reclaims storage occupied by dead tuples.",
                rank = 1.0,
            },
        },
    });

    private readonly Lock gate = new();
    private Task<HealthCheckResult>? inFlight;
    private HealthCheckResult? cached;
    private DateTimeOffset cachedAt;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        Task<HealthCheckResult> probe;
        lock (gate)
        {
            if (cached is { } result && timeProvider.GetUtcNow() - cachedAt < options.DeepCheckInterval)
            {
                return result;
            }

            // The probe runs on its own deadline, not the caller's: a scraper that gives up must not cancel the call
            // whose result the next scrape will read. Task.Run: the probe clears inFlight when done, which must
            // happen after this assignment, never synchronously inside it.
            var failureStatus = context.Registration.FailureStatus;
            inFlight ??= Task.Run(() => ProbeAsync(failureStatus), CancellationToken.None);
            probe = inFlight;
        }

        return await probe.WaitAsync(cancellationToken);
    }

    private async Task<HealthCheckResult> ProbeAsync(HealthStatus failureStatus)
    {
        HealthCheckResult result;
        var started = timeProvider.GetTimestamp();
        try
        {
            using var deadline = new CancellationTokenSource(options.DeepCheckTimeout, timeProvider);
            var response = await chatClient.GetResponseAsync(Messages(), ProbeOptions(), deadline.Token);
            var elapsed = timeProvider.GetElapsedTime(started).TotalMilliseconds;
            var text = response.Text;
            result = text.Contains(ExpectedTerm, StringComparison.OrdinalIgnoreCase)
                ? HealthCheckResult.Healthy($"The model answered the probe in {elapsed:F0} ms.")
                : new HealthCheckResult(failureStatus, $"The model's answer to the probe does not mention {ExpectedTerm}: '{Shorten(text)}'.");
        }
        catch (OperationCanceledException)
        {
            result = new HealthCheckResult(failureStatus, $"The model did not answer the probe within {options.DeepCheckTimeout.TotalSeconds:F0} s.");
        }
        catch (Exception ex)
        {
            result = new HealthCheckResult(failureStatus, $"The model call failed: {ex.GetType().Name}: {Shorten(ex.Message)}");
        }

        lock (gate)
        {
            cached = result;
            cachedAt = timeProvider.GetUtcNow();
            inFlight = null;
        }

        return result;
    }

    private static List<ChatMessage> Messages() =>
    [
        new(ChatRole.System, "You are being health-checked. Answer the user's question in one sentence, using only the search results."),
        new(ChatRole.User, Question),
        new(ChatRole.Assistant, [new FunctionCallContent(CallId, "search_documents", new Dictionary<string, object?> { ["query"] = Question, ["k"] = 1 })]),
        new(ChatRole.Tool, [new FunctionResultContent(CallId, CannedResult)]),
    ];

    private static ChatOptions ProbeOptions() => new()
    {
        ToolMode = ChatToolMode.None,
        Tools =
        [
            AIFunctionFactory.CreateDeclaration(
                "search_documents",
                "Searches the PostgreSQL manual.",
                JsonDocument.Parse("""{"type":"object","properties":{"query":{"type":"string"},"k":{"type":"integer"}},"required":["query"]}""").RootElement),
        ],
    };

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
