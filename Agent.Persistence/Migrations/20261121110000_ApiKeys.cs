using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Adds <c>api_keys</c> (hashed API keys, each with its tenant and scopes) and the partial index that counts a
/// tenant's unfinished runs for the concurrent-runs limit.
/// </summary>
/// <remarks>Hand-written in EF's generated form.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121110000_ApiKeys")]
public partial class ApiKeys : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "api_keys",
            schema: "agent",
            columns: table => new
            {
                key_id = table.Column<Guid>(type: "uuid", nullable: false),
                tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                scopes = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                key_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
            },
            constraints: table => table.PrimaryKey("PK_api_keys", x => x.key_id));

        migrationBuilder.CreateIndex(
            name: "ix_api_keys_tenant_id_created_at", schema: "agent", table: "api_keys", columns: ["tenant_id", "created_at"]);

        migrationBuilder.CreateIndex(
            name: "ix_runs_tenant_id_unfinished", schema: "agent", table: "runs", column: "tenant_id",
            filter: "status IN ('pending', 'running')");
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ix_runs_tenant_id_unfinished", schema: "agent", table: "runs");
        migrationBuilder.DropTable(name: "api_keys", schema: "agent");
    }
}
