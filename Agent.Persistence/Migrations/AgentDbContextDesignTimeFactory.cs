using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Agent.Persistence.Migrations;

/// <summary>
/// Builds the context for the <c>dotnet-ef</c> tool (<c>dotnet ef migrations add NAME --project Agent.Persistence</c>),
/// configured exactly as the running services configure it, so generated migrations and the model snapshot match.
/// </summary>
/// <remarks>
/// Adding or removing a migration never connects; commands that do (<c>dotnet ef database update</c>,
/// <c>migrations list</c>) use <c>ConnectionStrings__Agent</c> from the environment, the variable the worker reads,
/// with the local default <c>Host=localhost;Username=agent;Password=agent;Database=agent</c>.
/// </remarks>
internal sealed class AgentDbContextDesignTimeFactory : IDesignTimeDbContextFactory<AgentDbContext>
{
    /// <inheritdoc />
    public AgentDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__Agent")
            ?? "Host=localhost;Username=agent;Password=agent;Database=agent";
        // The tool's process ends right after the command, which disposes the context but not this data source:
        // nothing to leak beyond the process.
        var dataSource = NpgsqlDataSource.Create(connectionString);
        var options = new DbContextOptionsBuilder<AgentDbContext>();
        options.UseAgentDatabase(dataSource);
        return new AgentDbContext(options.Options);
    }
}
