using Agent.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// A builder for the worker's composition inside the test process: no host defaults (no appsettings, no environment
/// variables, no console logging), the Production environment, and the given database and the suite's RabbitMQ as
/// its connection strings, with the worker's basic services added (<c>AddAgentWorkerBasics</c>). Callers add what
/// their test needs (run execution, ingestion, graphs) and build it.
/// </summary>
internal static class InProcessWorkerHost
{
    /// <summary>Creates the builder.</summary>
    /// <param name="database">The database the worker uses (its connection string becomes <c>ConnectionStrings:Agent</c>).</param>
    /// <param name="settings">More configuration keys (null: none), e.g. <c>Messaging:RunQueue</c>.</param>
    /// <returns>The builder, with <c>AddAgentWorkerBasics</c> applied.</returns>
    public static HostApplicationBuilder CreateBuilder(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Agent"] = database.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = TestEnvironment.RabbitMqUri,
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddAgentWorkerBasics(builder.Configuration);
        return builder;
    }
}
