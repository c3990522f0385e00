using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using NpgsqlTypes;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Creates the schema: assistants, threads, runs, checkpoints, run events, documents and chunks.
/// </summary>
/// <remarks>Hand-written in EF's generated form; the model snapshot beside it must match the model.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121000000_Initial")]
public partial class Initial : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.EnsureSchema(name: "agent");

        migrationBuilder.CreateTable(
            name: "assistants",
            schema: "agent",
            columns: table => new
            {
                assistant_id = table.Column<Guid>(type: "uuid", nullable: false),
                graph_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                description = table.Column<string>(type: "text", nullable: true),
                config = table.Column<string>(type: "jsonb", nullable: false),
                metadata = table.Column<string>(type: "jsonb", nullable: false),
                version = table.Column<int>(type: "integer", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_assistants", x => x.assistant_id));

        migrationBuilder.CreateTable(
            name: "threads",
            schema: "agent",
            columns: table => new
            {
                thread_id = table.Column<Guid>(type: "uuid", nullable: false),
                metadata = table.Column<string>(type: "jsonb", nullable: false),
                status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_threads", x => x.thread_id));

        migrationBuilder.CreateTable(
            name: "documents",
            schema: "agent",
            columns: table => new
            {
                document_id = table.Column<long>(type: "bigint", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                source = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                title = table.Column<string>(type: "text", nullable: false),
                content_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                ingested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_documents", x => x.document_id));

        migrationBuilder.CreateTable(
            name: "runs",
            schema: "agent",
            columns: table => new
            {
                run_id = table.Column<Guid>(type: "uuid", nullable: false),
                thread_id = table.Column<Guid>(type: "uuid", nullable: false),
                assistant_id = table.Column<Guid>(type: "uuid", nullable: false),
                status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                metadata = table.Column<string>(type: "jsonb", nullable: false),
                kwargs = table.Column<string>(type: "jsonb", nullable: false),
                multitask_strategy = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                recursion_limit = table.Column<int>(type: "integer", nullable: false),
                lease_owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                lease_epoch = table.Column<long>(type: "bigint", nullable: false),
                lease_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                attempt = table.Column<int>(type: "integer", nullable: false),
                step_count = table.Column<int>(type: "integer", nullable: false),
                last_event_sequence = table.Column<long>(type: "bigint", nullable: false),
                input_tokens = table.Column<long>(type: "bigint", nullable: false),
                output_tokens = table.Column<long>(type: "bigint", nullable: false),
                cost_usd = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                error = table.Column<string>(type: "jsonb", nullable: true),
                cancel_action = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                delete_thread_on_completion = table.Column<bool>(type: "boolean", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_runs", x => x.run_id);
                table.ForeignKey(
                    name: "FK_runs_assistants_assistant_id",
                    column: x => x.assistant_id,
                    principalSchema: "agent",
                    principalTable: "assistants",
                    principalColumn: "assistant_id",
                    onDelete: ReferentialAction.Restrict);
                table.ForeignKey(
                    name: "FK_runs_threads_thread_id",
                    column: x => x.thread_id,
                    principalSchema: "agent",
                    principalTable: "threads",
                    principalColumn: "thread_id",
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "chunks",
            schema: "agent",
            columns: table => new
            {
                chunk_id = table.Column<long>(type: "bigint", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                document_id = table.Column<long>(type: "bigint", nullable: false),
                ordinal = table.Column<int>(type: "integer", nullable: false),
                heading = table.Column<string>(type: "text", nullable: false),
                content = table.Column<string>(type: "text", nullable: false),
                search_vector = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: false,
                    computedColumnSql: "setweight(to_tsvector('english'::regconfig, heading), 'A') || setweight(to_tsvector('english'::regconfig, content), 'B')",
                    stored: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_chunks", x => x.chunk_id);
                table.ForeignKey(
                    name: "FK_chunks_documents_document_id",
                    column: x => x.document_id,
                    principalSchema: "agent",
                    principalTable: "documents",
                    principalColumn: "document_id",
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "checkpoints",
            schema: "agent",
            columns: table => new
            {
                checkpoint_id = table.Column<Guid>(type: "uuid", nullable: false),
                sequence = table.Column<long>(type: "bigint", nullable: false)
                    .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                thread_id = table.Column<Guid>(type: "uuid", nullable: false),
                run_id = table.Column<Guid>(type: "uuid", nullable: false),
                parent_checkpoint_id = table.Column<Guid>(type: "uuid", nullable: true),
                step = table.Column<int>(type: "integer", nullable: false),
                node = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                delta = table.Column<string>(type: "jsonb", nullable: false),
                metadata = table.Column<string>(type: "jsonb", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_checkpoints", x => x.checkpoint_id);
                table.ForeignKey(
                    name: "FK_checkpoints_runs_run_id",
                    column: x => x.run_id,
                    principalSchema: "agent",
                    principalTable: "runs",
                    principalColumn: "run_id",
                    onDelete: ReferentialAction.Cascade);
                table.ForeignKey(
                    name: "FK_checkpoints_threads_thread_id",
                    column: x => x.thread_id,
                    principalSchema: "agent",
                    principalTable: "threads",
                    principalColumn: "thread_id",
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateTable(
            name: "run_events",
            schema: "agent",
            columns: table => new
            {
                run_id = table.Column<Guid>(type: "uuid", nullable: false),
                sequence = table.Column<long>(type: "bigint", nullable: false),
                kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                data = table.Column<string>(type: "jsonb", nullable: false),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_run_events", x => new { x.run_id, x.sequence });
                table.ForeignKey(
                    name: "FK_run_events_runs_run_id",
                    column: x => x.run_id,
                    principalSchema: "agent",
                    principalTable: "runs",
                    principalColumn: "run_id",
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateIndex(
            name: "ix_assistants_graph_id", schema: "agent", table: "assistants", column: "graph_id");
        migrationBuilder.CreateIndex(
            name: "ix_checkpoints_thread_id_sequence", schema: "agent", table: "checkpoints",
            columns: new[] { "thread_id", "sequence" });
        migrationBuilder.CreateIndex(
            name: "ux_checkpoints_run_id_step", schema: "agent", table: "checkpoints",
            columns: new[] { "run_id", "step" }, unique: true);
        migrationBuilder.CreateIndex(
            name: "ix_chunks_search_vector", schema: "agent", table: "chunks", column: "search_vector")
            .Annotation("Npgsql:IndexMethod", "GIN");
        migrationBuilder.CreateIndex(
            name: "ux_chunks_document_id_ordinal", schema: "agent", table: "chunks",
            columns: new[] { "document_id", "ordinal" }, unique: true);
        migrationBuilder.CreateIndex(
            name: "ux_documents_source", schema: "agent", table: "documents", column: "source", unique: true);
        migrationBuilder.CreateIndex(
            name: "ix_runs_assistant_id", schema: "agent", table: "runs", column: "assistant_id");
        migrationBuilder.CreateIndex(
            name: "ix_runs_status_lease_expires_at", schema: "agent", table: "runs",
            columns: new[] { "status", "lease_expires_at" });
        migrationBuilder.CreateIndex(
            name: "ix_runs_thread_id_created_at", schema: "agent", table: "runs",
            columns: new[] { "thread_id", "created_at" });
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable(name: "checkpoints", schema: "agent");
        migrationBuilder.DropTable(name: "chunks", schema: "agent");
        migrationBuilder.DropTable(name: "run_events", schema: "agent");
        migrationBuilder.DropTable(name: "documents", schema: "agent");
        migrationBuilder.DropTable(name: "runs", schema: "agent");
        migrationBuilder.DropTable(name: "assistants", schema: "agent");
        migrationBuilder.DropTable(name: "threads", schema: "agent");
    }
}
