using Agent.Persistence.ApiKeys;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Crons;
using Agent.Persistence.Documents;
using Agent.Persistence.Graphs;
using Agent.Persistence.Leases;
using Agent.Persistence.ModelCircuits;
using Agent.Persistence.RateLimits;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Agent.Persistence.Store;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Agent.Persistence.Webhooks;
using Agent.Persistence.Workers;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence;

/// <summary>
/// Represents the agent runtime's database (schema <c>agent</c>) on PostgreSQL.
/// </summary>
/// <remarks>
/// Migrations come from the <c>dotnet-ef</c> local tool (<c>deploy/local/add-migration.sh NAME</c>, see
/// docs/operations.md); <c>AgentDbContextModelSnapshot</c> must match this model, which a test checks with
/// <c>Database.HasPendingModelChanges()</c>.
/// <para>
/// Tenancy: global query filters scope assistants (and their versions), threads, runs, checkpoints, crons, model calls
/// API keys and store items to <see cref="TenantId"/>, so every LINQ query, <c>ExecuteUpdate</c> and <c>ExecuteDelete</c> of a
/// scoped context sees only its tenant's rows (plus the shared system assistants); raw SQL must add <c>tenant_id</c>
/// itself. Rows added through a scoped context are stamped with its tenant by
/// <see cref="SaveChangesAsync(bool, CancellationToken)"/>.
/// </para>
/// </remarks>
/// <param name="options">The options built by <c>AddAgentPersistence</c>.</param>
public sealed class AgentDbContext(DbContextOptions<AgentDbContext> options) : DbContext(options)
{
    /// <summary>The database schema that holds every table.</summary>
    public const string Schema = "agent";

    /// <summary>The name of the tenant query filter on checkpoints (the entity has two filters, so each is named).</summary>
    public const string TenantFilter = "tenant";

    /// <summary>
    /// Gets or sets the tenant this context is scoped to: <see langword="null"/> sees every tenant (worker, migrator,
    /// admin commands); <see cref="AgentTenants.Unresolved"/> sees nothing and refuses to save tenant-owned rows.
    /// Set by the scoped registration of <c>AddAgentPersistence</c> from <see cref="ICallerTenant"/>; a pooled
    /// context gets it anew on every rent.
    /// </summary>
    public string? TenantId { get; set; }

    /// <summary>Gets the graphs workers have published (<see cref="DeployedGraphStore"/>).</summary>
    public DbSet<DeployedGraph> DeployedGraphs => Set<DeployedGraph>();

    /// <summary>Gets the API keys (hashed; see <see cref="ApiKeySecret"/>).</summary>
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    /// <summary>Gets the assistants.</summary>
    public DbSet<Assistant> Assistants => Set<Assistant>();

    /// <summary>Gets the assistants' versions.</summary>
    public DbSet<AssistantVersion> AssistantVersions => Set<AssistantVersion>();

    /// <summary>Gets the cron jobs.</summary>
    public DbSet<Cron> Crons => Set<Cron>();

    /// <summary>Gets the threads.</summary>
    public DbSet<AgentThread> Threads => Set<AgentThread>();

    /// <summary>Gets the runs.</summary>
    public DbSet<AgentRun> Runs => Set<AgentRun>();

    /// <summary>Gets the checkpoints (one per committed step).</summary>
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();

    /// <summary>Gets the run events.</summary>
    public DbSet<RunEvent> RunEvents => Set<RunEvent>();

    /// <summary>Gets the shared provider rate-limit states (one per provider and model).</summary>
    public DbSet<ProviderRateLimit> ProviderRateLimits => Set<ProviderRateLimit>();

    /// <summary>Gets the model circuits that some worker opened (one per provider and model, shared by every worker).</summary>
    public DbSet<ModelCircuit> ModelCircuits => Set<ModelCircuit>();

    /// <summary>Gets the model calls (one per model step, with tokens, latency and cost).</summary>
    public DbSet<ModelCall> ModelCalls => Set<ModelCall>();

    /// <summary>Gets the runs' lease history: one row per claim (written by a trigger on <c>agent.runs</c>).</summary>
    public DbSet<RunLease> RunLeases => Set<RunLease>();

    /// <summary>Gets what each worker process last reported (slots, busy slots, the run queue).</summary>
    public DbSet<WorkerReport> WorkerReports => Set<WorkerReport>();

    /// <summary>Gets the webhook outbox: one delivery per ended run with a webhook (filled by a trigger).</summary>
    public DbSet<WebhookOutboxEntry> WebhookDeliveries => Set<WebhookOutboxEntry>();

    /// <summary>Gets the document collections.</summary>
    public DbSet<DocumentCollection> DocumentCollections => Set<DocumentCollection>();

    /// <summary>Gets the ingested documents.</summary>
    public DbSet<Document> Documents => Set<Document>();

    /// <summary>Gets the searchable chunks of the documents.</summary>
    public DbSet<Chunk> Chunks => Set<Chunk>();

    /// <summary>Gets the chunks' embeddings, by model and text hash.</summary>
    public DbSet<ChunkEmbedding> ChunkEmbeddings => Set<ChunkEmbedding>();

    /// <summary>Gets the items of the long-term memory store (<see cref="ItemStore"/>).</summary>
    public DbSet<StoreItem> StoreItems => Set<StoreItem>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AgentDbContext).Assembly);

        // EF parameterizes TenantId per query from the context instance that runs it (safe with pooling).
        modelBuilder.Entity<Assistant>().HasQueryFilter(a => TenantId == null || a.TenantId == null || a.TenantId == TenantId);
        modelBuilder.Entity<AgentThread>().HasQueryFilter(t => TenantId == null || t.TenantId == TenantId);
        modelBuilder.Entity<AgentRun>().HasQueryFilter(r => TenantId == null || r.TenantId == TenantId);
        // Named, as CheckpointConfiguration's filter of the root namespace is: EF Core keeps one filter per name.
        modelBuilder.Entity<Checkpoint>().HasQueryFilter(TenantFilter, c => TenantId == null || c.TenantId == TenantId);
        modelBuilder.Entity<ModelCall>().HasQueryFilter(c => TenantId == null || c.TenantId == TenantId);
        modelBuilder.Entity<ApiKey>().HasQueryFilter(k => TenantId == null || k.TenantId == TenantId);
        modelBuilder.Entity<AssistantVersion>().HasQueryFilter(v => TenantId == null || v.TenantId == null || v.TenantId == TenantId);
        modelBuilder.Entity<Cron>().HasQueryFilter(c => TenantId == null || c.TenantId == TenantId);
        modelBuilder.Entity<RunLease>().HasQueryFilter(l => TenantId == null || l.TenantId == TenantId);
        modelBuilder.Entity<StoreItem>().HasQueryFilter(i => TenantId == null || i.TenantId == TenantId);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A tenant-owned row would be saved without a tenant.</exception>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        StampTenant();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A tenant-owned row would be saved without a tenant.</exception>
    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        StampTenant();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    // New rows take the context's tenant unless the code set one; a row with no tenant at all is a bug that would
    // make data invisible (or, for assistants, shared), so it throws. Assistants added by an unscoped context may stay
    // shared (system assistants).
    private void StampTenant()
    {
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.State != EntityState.Added)
            {
                continue;
            }

            switch (entry.Entity)
            {
                case AgentThread thread:
                    thread.TenantId = RequireTenant(thread.TenantId);
                    break;
                case AgentRun run:
                    run.TenantId = RequireTenant(run.TenantId);
                    break;
                case Checkpoint checkpoint:
                    checkpoint.TenantId = RequireTenant(checkpoint.TenantId);
                    break;
                case ApiKey key:
                    key.TenantId = RequireTenant(key.TenantId);
                    break;
                case Cron cron:
                    cron.TenantId = RequireTenant(cron.TenantId);
                    break;
                case Assistant assistant when TenantId is not null:
                    assistant.TenantId = RequireTenant(assistant.TenantId);
                    break;
                case AssistantVersion version when TenantId is not null:
                    version.TenantId = RequireTenant(version.TenantId);
                    break;
            }
        }
    }

    private string RequireTenant(string? own)
    {
        var tenant = string.IsNullOrEmpty(own) ? TenantId : own;
        if (string.IsNullOrEmpty(tenant))
        {
            throw new InvalidOperationException("A tenant-owned row was saved without a tenant: the caller's tenant was not resolved.");
        }

        if (TenantId is not null && tenant != TenantId)
        {
            throw new InvalidOperationException($"A context scoped to tenant '{TenantId}' cannot save a row of tenant '{tenant}'.");
        }

        return tenant;
    }
}
