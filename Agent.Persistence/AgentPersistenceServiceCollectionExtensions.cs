using Agent.Persistence;
using Agent.Persistence.ApiKeys;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Connections;
using Agent.Persistence.Crons;
using Agent.Persistence.Graphs;
using Agent.Persistence.ModelCircuits;
using Agent.Persistence.Monitoring;
using Agent.Persistence.RateLimits;
using Agent.Persistence.Runs;
using Agent.Persistence.Store;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Agent.Persistence.Workers;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the agent database with dependency injection.
/// </summary>
public static class AgentPersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Adds one <see cref="NpgsqlDataSource"/> (built once, as Npgsql recommends) and a pooled
    /// <see cref="AgentDbContext"/> over it, plus the stores.
    /// </summary>
    /// <remarks>
    /// Statements are prepared automatically on each connection once they repeat (<see cref="StatementPreparation"/>).
    /// The scoped <see cref="AgentDbContext"/> is rented from the pool and scoped to the tenant of the registered
    /// <see cref="ICallerTenant"/> (none registered: every tenant). Resolve the context, not the pooled factory, so
    /// the scope is always set.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">An Npgsql connection string, e.g. <c>Host=localhost;Username=agent;Password=agent;Database=agent</c>.</param>
    /// <param name="budget">Sizes the connection pool (<see cref="ConnectionBudget"/>); null: the defaults.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="ArgumentException">The connection string is empty.</exception>
    public static IServiceCollection AddAgentPersistence(this IServiceCollection services, string connectionString, ConnectionBudget? budget = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var pooled = StatementPreparation.Apply((budget ?? new ConnectionBudget()).Apply(connectionString));
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(pooled).Build());
        services.AddPooledDbContextFactory<AgentDbContext>((sp, options) =>
            options.UseAgentDatabase(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddScoped(sp =>
        {
            var context = sp.GetRequiredService<IDbContextFactory<AgentDbContext>>().CreateDbContext();
            context.TenantId = sp.GetService<ICallerTenant>()?.TenantId;
            return context;
        });
        services.AddScoped<RunLifecycle>();
        services.AddScoped<RunQueries>();
        services.AddScoped<CheckpointQueries>();
        services.AddScoped<ThreadStore>();
        services.AddScoped<AssistantStore>();
        services.AddScoped<DeployedGraphStore>();
        services.AddScoped<CronStore>();
        services.AddScoped<ItemStore>();
        services.AddSingleton<ProviderRateLimitStore>();
        services.AddSingleton<ModelCircuitStore>();
        services.AddScoped<ApiKeyStore>();
        services.AddSingleton<ApiKeyLookup>();
        services.AddSingleton<UsageQueries>();
        services.AddScoped<Agent.Persistence.Webhooks.WebhookOutbox>();
        services.AddScoped<AgentDatabaseMigrator>();
        services.AddScoped<MonitoringStore>();
        services.AddSingleton<WorkerReportStore>();
        services.AddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>
    /// Adds the <see cref="RunDispatcher"/> (singleton) that sends <c>StartAgentRun</c> to <paramref name="runQueue"/>.
    /// Needs MassTransit's <see cref="MassTransit.IBus"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="runQueue">The run queue's name (<c>Messaging:RunQueue</c>; default <c>agent-runs</c>).</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddRunDispatcher(this IServiceCollection services, string runQueue)
    {
        services.AddSingleton(sp => new RunDispatcher(
            sp.GetRequiredService<MassTransit.IBus>(), runQueue, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RunDispatcher>>()));
        return services;
    }

    /// <summary>
    /// Configures a context for the agent database: Npgsql over <paramref name="dataSource"/>, with EF's migrations
    /// history kept in the <c>agent</c> schema beside the tables it describes.
    /// </summary>
    /// <param name="options">The options builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <returns>The same builder.</returns>
    public static DbContextOptionsBuilder UseAgentDatabase(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory", AgentDbContext.Schema))
            .AddInterceptors(ConnectionFailureInterceptor.Instance);
}
