using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Creates <c>provider_rate_limits</c>: the shared GCRA state of each provider and model's rate limit.
/// </summary>
/// <remarks>Hand-written in EF's generated form.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121140000_ProviderRateLimits")]
public partial class ProviderRateLimits : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "provider_rate_limits",
            schema: "agent",
            columns: table => new
            {
                key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                requests_tat = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                tokens_tat = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_provider_rate_limits", x => x.key));
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.DropTable(name: "provider_rate_limits", schema: "agent");
}
