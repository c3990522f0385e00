using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Adds what the fuller LangGraph Server API needs: assistant <c>context</c> and versions, delayed runs
/// (<c>runs.start_after</c> for <c>after_seconds</c>), checkpoints that outlive their run or have none (state
/// updates, thread copies: <c>checkpoints.run_id</c> nullable, set null when the run is deleted), and cron jobs.
/// </summary>
/// <remarks>Hand-written in EF's generated form; the model snapshot beside it must match the model.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121120000_LangGraphApi")]
public partial class LangGraphApi : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        // The database default ('{}') stays, so inserts that predate the column (older seeders) keep working.
        migrationBuilder.AddColumn<string>(
            name: "context", schema: "agent", table: "assistants", type: "jsonb", nullable: false, defaultValue: "{}");

        migrationBuilder.AddColumn<DateTimeOffset>(
            name: "start_after", schema: "agent", table: "runs", type: "timestamp with time zone", nullable: true);

        migrationBuilder.DropForeignKey(name: "FK_checkpoints_runs_run_id", schema: "agent", table: "checkpoints");
        migrationBuilder.AlterColumn<Guid>(
            name: "run_id", schema: "agent", table: "checkpoints", type: "uuid", nullable: true,
            oldClrType: typeof(Guid), oldType: "uuid");
        migrationBuilder.AddForeignKey(
            name: "FK_checkpoints_runs_run_id", schema: "agent", table: "checkpoints", column: "run_id",
            principalSchema: "agent", principalTable: "runs", principalColumn: "run_id", onDelete: ReferentialAction.SetNull);

        migrationBuilder.CreateTable(
            name: "assistant_versions",
            schema: "agent",
            columns: table => new
            {
                assistant_id = table.Column<Guid>(type: "uuid", nullable: false),
                version = table.Column<int>(type: "integer", nullable: false),
                tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                graph_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                description = table.Column<string>(type: "text", nullable: true),
                config = table.Column<string>(type: "jsonb", nullable: false),
                context = table.Column<string>(type: "jsonb", nullable: false),
                metadata = table.Column<string>(type: "jsonb", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_assistant_versions", x => new { x.assistant_id, x.version });
                table.ForeignKey(
                    name: "FK_assistant_versions_assistants_assistant_id",
                    column: x => x.assistant_id,
                    principalSchema: "agent",
                    principalTable: "assistants",
                    principalColumn: "assistant_id",
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "crons",
            schema: "agent",
            columns: table => new
            {
                cron_id = table.Column<Guid>(type: "uuid", nullable: false),
                tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                assistant_id = table.Column<Guid>(type: "uuid", nullable: false),
                thread_id = table.Column<Guid>(type: "uuid", nullable: true),
                schedule = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                timezone = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                end_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                payload = table.Column<string>(type: "jsonb", nullable: false),
                metadata = table.Column<string>(type: "jsonb", nullable: false),
                enabled = table.Column<bool>(type: "boolean", nullable: false),
                on_run_completed = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                next_run_date = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_crons", x => x.cron_id);
                table.ForeignKey(
                    name: "FK_crons_assistants_assistant_id",
                    column: x => x.assistant_id,
                    principalSchema: "agent",
                    principalTable: "assistants",
                    principalColumn: "assistant_id",
                    onDelete: ReferentialAction.Cascade);
                table.ForeignKey(
                    name: "FK_crons_threads_tenant_id_thread_id",
                    columns: x => new { x.tenant_id, x.thread_id },
                    principalSchema: "agent",
                    principalTable: "threads",
                    principalColumns: ["tenant_id", "thread_id"],
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateIndex(
            name: "ix_crons_enabled_next_run_date", schema: "agent", table: "crons", columns: ["enabled", "next_run_date"]);
        migrationBuilder.CreateIndex(
            name: "ix_crons_tenant_id_assistant_id", schema: "agent", table: "crons", columns: ["tenant_id", "assistant_id"]);
        migrationBuilder.CreateIndex(
            name: "IX_crons_assistant_id", schema: "agent", table: "crons", column: "assistant_id");
        migrationBuilder.CreateIndex(
            name: "IX_crons_tenant_id_thread_id", schema: "agent", table: "crons", columns: ["tenant_id", "thread_id"]);
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "crons", schema: "agent");
        migrationBuilder.DropTable(name: "assistant_versions", schema: "agent");
        migrationBuilder.DropForeignKey(name: "FK_checkpoints_runs_run_id", schema: "agent", table: "checkpoints");
        // Checkpoints without a run cannot be kept under the old schema.
        migrationBuilder.Sql("DELETE FROM agent.checkpoints WHERE run_id IS NULL;");
        migrationBuilder.AlterColumn<Guid>(
            name: "run_id", schema: "agent", table: "checkpoints", type: "uuid", nullable: false,
            oldClrType: typeof(Guid), oldType: "uuid", oldNullable: true);
        migrationBuilder.AddForeignKey(
            name: "FK_checkpoints_runs_run_id", schema: "agent", table: "checkpoints", column: "run_id",
            principalSchema: "agent", principalTable: "runs", principalColumn: "run_id", onDelete: ReferentialAction.Cascade);
        migrationBuilder.DropColumn(name: "start_after", schema: "agent", table: "runs");
        migrationBuilder.DropColumn(name: "context", schema: "agent", table: "assistants");
    }
}
