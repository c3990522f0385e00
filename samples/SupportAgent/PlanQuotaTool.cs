using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SupportAgent;

/// <summary>
/// The sample's C# tool, <c>plan_quota</c>: the storage quota and retention of a Skiff plan. A plain method made an
/// <see cref="AIFunction"/> by <see cref="AIFunctionFactory"/>, which derives the name, description and JSON schema the
/// model sees from it.
/// </summary>
internal static partial class PlanQuotaTool
{
    /// <summary>The tool's name, as the model calls it.</summary>
    public const string Name = "plan_quota";

    // Plan → (storage in GiB, retention in days, restores per day). The figures match docs/plans.md of the collection.
    private static readonly Dictionary<string, (int StorageGiB, int RetentionDays, int RestoresPerDay)> Plans =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["free"] = (50, 7, 2),
            ["team"] = (2048, 90, 50),
            ["enterprise"] = (51200, 365, 1000),
        };

    /// <summary>Creates the tool from the worker's services (for its logger).</summary>
    /// <param name="services">The root service provider.</param>
    /// <returns>The function.</returns>
    public static AIFunction Create(IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PlanQuotaTool));
        return AIFunctionFactory.Create(
            ([Description("The plan: free, team or enterprise.")] string plan, AIFunctionArguments arguments) =>
                Quota(plan, arguments, logger),
            Name,
            "Gets the storage quota (GiB), backup retention (days) and restores per day of a Skiff plan.");
    }

    private static object Quota(string plan, AIFunctionArguments arguments, ILogger logger)
    {
        // An unknown plan throws: the worker hands the model a tool error naming it, and the run goes on.
        if (!Plans.TryGetValue(plan, out var quota))
        {
            throw new ArgumentException($"Unknown plan '{plan}'; the plans are {string.Join(", ", Plans.Keys)}.", nameof(plan));
        }

        // The worker passes run_id:step:tool_call_id, the same on every retry of this call; a tool with side effects
        // would deduplicate on it. Logged so the sample's end-to-end test can count the calls.
        var key = arguments.Context?.TryGetValue("idempotency_key", out var value) == true ? value as string : null;
        LogCalled(logger, plan, key);
        return new { plan = plan.ToLowerInvariant(), storage_gib = quota.StorageGiB, retention_days = quota.RetentionDays, restores_per_day = quota.RestoresPerDay };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "plan_quota called for plan {Plan} (idempotency key {IdempotencyKey})")]
    private static partial void LogCalled(ILogger logger, string plan, string? idempotencyKey);
}
