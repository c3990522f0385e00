using Agent.Persistence.Assistants;
using Agent.Persistence.Graphs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence;

/// <summary>
/// Brings a database up to date: applies pending migrations, then makes sure every graph's system assistant exists.
/// A deployment runs it once (the worker's <c>migrate</c> command) before the API and the workers start.
/// </summary>
/// <param name="context">The database context.</param>
/// <param name="timeProvider">The clock.</param>
public sealed class AgentDatabaseMigrator(AgentDbContext context, TimeProvider timeProvider)
{
    /// <summary>Applies migrations and seeds the system assistants; safe to run again.</summary>
    /// <param name="cancellationToken">Cancels the migration.</param>
    /// <returns>The migrations applied by this call (empty when the database was current).</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await context.Database.MigrateAsync(cancellationToken);

        var now = timeProvider.GetUtcNow();
        foreach (var graphId in SystemAssistants.GraphIds)
        {
            await DeployedGraphStore.EnsureSystemAssistantAsync(
                context, graphId, "Retrieval agent over the ingested documents (system assistant).", now, cancellationToken);
        }

        return pending;
    }
}
