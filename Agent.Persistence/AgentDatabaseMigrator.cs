using Agent.Persistence.Assistants;
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
    private const string SystemMetadata = """{"created_by":"system"}""";

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
            var id = SystemAssistants.IdFor(graphId);
            // INSERT ... ON CONFLICT keeps concurrent migrators (several pods starting at once) from failing.
            await context.Database.ExecuteSqlAsync($"""
                INSERT INTO agent.assistants (assistant_id, graph_id, name, description, config, context, metadata, version, created_at, updated_at)
                VALUES ({id}, {graphId}, {graphId}, {"Retrieval agent over the ingested documents (system assistant)."},
                        {"{}"}::jsonb, {"{}"}::jsonb, {SystemMetadata}::jsonb, 1, {now}, {now})
                ON CONFLICT (assistant_id) DO NOTHING
                """, cancellationToken);
        }

        return pending;
    }
}
