using Agent.Persistence.Connections;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Agent.Tests.Persistence;

[TestFixture]
public sealed class When_the_agent_database_is_registered
{
    [Test]
    public void Should_prepare_repeated_statements_unless_the_connection_string_decides()
    {
        using var defaulted = new ServiceCollection().AddAgentPersistence("Host=db;Username=agent").BuildServiceProvider();
        using var turnedOff = new ServiceCollection().AddAgentPersistence("Host=db;Username=agent;Max Auto Prepare=0").BuildServiceProvider();

        var prepared = new NpgsqlConnectionStringBuilder(defaulted.GetRequiredService<NpgsqlDataSource>().ConnectionString);
        var off = new NpgsqlConnectionStringBuilder(turnedOff.GetRequiredService<NpgsqlDataSource>().ConnectionString);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((prepared.MaxAutoPrepare, prepared.AutoPrepareMinUsages),
                Is.EqualTo((StatementPreparation.MaxStatements, StatementPreparation.MinUsages)));
            Assert.That(off.MaxAutoPrepare, Is.Zero, "a Max Auto Prepare written in the connection string wins");
        }
    }
}
