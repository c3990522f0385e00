using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Documents;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence;

/// <summary>
/// Represents the agent runtime's database (schema <c>agent</c>) on PostgreSQL.
/// </summary>
/// <remarks>
/// Migrations are written by hand in EF's own form (Microsoft.EntityFrameworkCore.Design does not restore here);
/// <c>AgentDbContextModelSnapshot</c> must match this model, which a test checks with
/// <c>Database.HasPendingModelChanges()</c>.
/// </remarks>
/// <param name="options">The options built by <c>AddAgentPersistence</c>.</param>
public sealed class AgentDbContext(DbContextOptions<AgentDbContext> options) : DbContext(options)
{
    /// <summary>The database schema that holds every table.</summary>
    public const string Schema = "agent";

    /// <summary>Gets the assistants.</summary>
    public DbSet<Assistant> Assistants => Set<Assistant>();

    /// <summary>Gets the threads.</summary>
    public DbSet<AgentThread> Threads => Set<AgentThread>();

    /// <summary>Gets the runs.</summary>
    public DbSet<AgentRun> Runs => Set<AgentRun>();

    /// <summary>Gets the checkpoints (one per committed step).</summary>
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();

    /// <summary>Gets the run events.</summary>
    public DbSet<RunEvent> RunEvents => Set<RunEvent>();

    /// <summary>Gets the model calls (one per model step, with tokens, latency and cost).</summary>
    public DbSet<ModelCall> ModelCalls => Set<ModelCall>();

    /// <summary>Gets the ingested documents.</summary>
    public DbSet<Document> Documents => Set<Document>();

    /// <summary>Gets the searchable chunks of the documents.</summary>
    public DbSet<Chunk> Chunks => Set<Chunk>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AgentDbContext).Assembly);
    }
}
