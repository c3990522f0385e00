using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Gives assistants, threads, runs and checkpoints a <c>tenant_id</c>, and keys threads by
/// <c>(tenant_id, thread_id)</c> so that thread ids chosen by clients never collide across tenants.
/// </summary>
/// <remarks>
/// Existing threads, runs and checkpoints move to the <c>default</c> tenant; existing assistants (only the seeded
/// system assistants exist before this migration) stay shared (<c>tenant_id</c> null). Hand-written in EF's
/// generated form.
/// </remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121050000_Tenants")]
public partial class Tenants : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropForeignKey(name: "FK_runs_threads_thread_id", schema: "agent", table: "runs");
        migrationBuilder.DropForeignKey(name: "FK_checkpoints_threads_thread_id", schema: "agent", table: "checkpoints");
        migrationBuilder.DropPrimaryKey(name: "PK_threads", schema: "agent", table: "threads");
        migrationBuilder.DropIndex(name: "ix_runs_thread_id_created_at", schema: "agent", table: "runs");
        migrationBuilder.DropIndex(name: "ix_checkpoints_thread_id_sequence", schema: "agent", table: "checkpoints");
        migrationBuilder.DropIndex(name: "ix_assistants_graph_id", schema: "agent", table: "assistants");

        migrationBuilder.AddColumn<string>(
            name: "tenant_id", schema: "agent", table: "assistants", type: "character varying(64)", maxLength: 64, nullable: true);
        foreach (var table in new[] { "threads", "runs", "checkpoints" })
        {
            // The default fills the existing rows; it is dropped at once so that every new row names its tenant.
            migrationBuilder.AddColumn<string>(
                name: "tenant_id", schema: "agent", table: table, type: "character varying(64)", maxLength: 64,
                nullable: false, defaultValue: "default");
            migrationBuilder.Sql($"ALTER TABLE agent.{table} ALTER COLUMN tenant_id DROP DEFAULT;");
        }

        migrationBuilder.AddPrimaryKey(name: "PK_threads", schema: "agent", table: "threads", columns: ["tenant_id", "thread_id"]);
        migrationBuilder.AddForeignKey(
            name: "FK_runs_threads_tenant_id_thread_id", schema: "agent", table: "runs",
            columns: ["tenant_id", "thread_id"], principalSchema: "agent", principalTable: "threads",
            principalColumns: ["tenant_id", "thread_id"], onDelete: ReferentialAction.Cascade);
        migrationBuilder.AddForeignKey(
            name: "FK_checkpoints_threads_tenant_id_thread_id", schema: "agent", table: "checkpoints",
            columns: ["tenant_id", "thread_id"], principalSchema: "agent", principalTable: "threads",
            principalColumns: ["tenant_id", "thread_id"], onDelete: ReferentialAction.Cascade);
        migrationBuilder.CreateIndex(
            name: "ix_runs_tenant_id_thread_id_created_at", schema: "agent", table: "runs",
            columns: ["tenant_id", "thread_id", "created_at"]);
        migrationBuilder.CreateIndex(
            name: "ix_checkpoints_tenant_id_thread_id_sequence", schema: "agent", table: "checkpoints",
            columns: ["tenant_id", "thread_id", "sequence"]);
        migrationBuilder.CreateIndex(
            name: "ix_assistants_tenant_id_graph_id", schema: "agent", table: "assistants", columns: ["tenant_id", "graph_id"]);
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropForeignKey(name: "FK_runs_threads_tenant_id_thread_id", schema: "agent", table: "runs");
        migrationBuilder.DropForeignKey(name: "FK_checkpoints_threads_tenant_id_thread_id", schema: "agent", table: "checkpoints");
        migrationBuilder.DropPrimaryKey(name: "PK_threads", schema: "agent", table: "threads");
        migrationBuilder.DropIndex(name: "ix_runs_tenant_id_thread_id_created_at", schema: "agent", table: "runs");
        migrationBuilder.DropIndex(name: "ix_checkpoints_tenant_id_thread_id_sequence", schema: "agent", table: "checkpoints");
        migrationBuilder.DropIndex(name: "ix_assistants_tenant_id_graph_id", schema: "agent", table: "assistants");
        foreach (var table in new[] { "assistants", "threads", "runs", "checkpoints" })
        {
            migrationBuilder.DropColumn(name: "tenant_id", schema: "agent", table: table);
        }

        // Fails if two tenants chose the same thread id: they cannot share one key again.
        migrationBuilder.AddPrimaryKey(name: "PK_threads", schema: "agent", table: "threads", column: "thread_id");
        migrationBuilder.AddForeignKey(
            name: "FK_runs_threads_thread_id", schema: "agent", table: "runs", column: "thread_id",
            principalSchema: "agent", principalTable: "threads", principalColumn: "thread_id", onDelete: ReferentialAction.Cascade);
        migrationBuilder.AddForeignKey(
            name: "FK_checkpoints_threads_thread_id", schema: "agent", table: "checkpoints", column: "thread_id",
            principalSchema: "agent", principalTable: "threads", principalColumn: "thread_id", onDelete: ReferentialAction.Cascade);
        migrationBuilder.CreateIndex(
            name: "ix_runs_thread_id_created_at", schema: "agent", table: "runs", columns: ["thread_id", "created_at"]);
        migrationBuilder.CreateIndex(
            name: "ix_checkpoints_thread_id_sequence", schema: "agent", table: "checkpoints", columns: ["thread_id", "sequence"]);
        migrationBuilder.CreateIndex(name: "ix_assistants_graph_id", schema: "agent", table: "assistants", column: "graph_id");
    }
}
