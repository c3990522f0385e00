using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Adds <c>agent.model_calls</c> (one row per model call: provider, model, tokens, latency, finish reason, cost) and
/// the usage views <c>agent.model_call_usage</c> (each call with its UTC day) and <c>agent.usage_daily</c> (sums by
/// day, assistant, provider and model).
/// </summary>
/// <remarks>Hand-written in EF's generated form; the model snapshot beside it must match the model.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121130000_ModelCalls")]
public partial class ModelCalls : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "model_calls",
            schema: "agent",
            columns: table => new
            {
                model_call_id = table.Column<Guid>(type: "uuid", nullable: false),
                run_id = table.Column<Guid>(type: "uuid", nullable: false),
                step = table.Column<int>(type: "integer", nullable: false),
                thread_id = table.Column<Guid>(type: "uuid", nullable: false),
                assistant_id = table.Column<Guid>(type: "uuid", nullable: false),
                tenant_id = table.Column<string>(type: "text", nullable: true),
                provider = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                input_tokens = table.Column<long>(type: "bigint", nullable: false),
                output_tokens = table.Column<long>(type: "bigint", nullable: false),
                cached_input_tokens = table.Column<long>(type: "bigint", nullable: true),
                latency_ms = table.Column<double>(type: "double precision", nullable: false),
                finish_reason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                cost_usd = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_model_calls", x => x.model_call_id);
                table.ForeignKey(
                    name: "FK_model_calls_runs_run_id",
                    column: x => x.run_id,
                    principalSchema: "agent",
                    principalTable: "runs",
                    principalColumn: "run_id",
                    onDelete: ReferentialAction.Cascade);
            });

        migrationBuilder.CreateIndex(
            name: "ix_model_calls_assistant_id_created_at", schema: "agent", table: "model_calls",
            columns: new[] { "assistant_id", "created_at" });
        migrationBuilder.CreateIndex(
            name: "ix_model_calls_created_at", schema: "agent", table: "model_calls", column: "created_at");
        migrationBuilder.CreateIndex(
            name: "ix_model_calls_thread_id_created_at", schema: "agent", table: "model_calls",
            columns: new[] { "thread_id", "created_at" });
        migrationBuilder.CreateIndex(
            name: "ux_model_calls_run_id_step", schema: "agent", table: "model_calls",
            columns: new[] { "run_id", "step" }, unique: true);

        // Views for psql and dashboards. Days are UTC calendar days. cost_usd sums skip unpriced calls (NULL cost),
        // which unpriced_calls counts.
        migrationBuilder.Sql("""
            CREATE VIEW agent.model_call_usage AS
            SELECT c.model_call_id, c.run_id, c.step, c.thread_id, c.assistant_id, c.tenant_id, c.provider, c.model,
                   c.input_tokens, c.output_tokens, c.cached_input_tokens, c.latency_ms, c.finish_reason, c.cost_usd,
                   c.created_at, (c.created_at AT TIME ZONE 'UTC')::date AS day
              FROM agent.model_calls c;
            """);
        migrationBuilder.Sql("""
            CREATE VIEW agent.usage_daily AS
            SELECT day, assistant_id, provider, model,
                   count(*) AS calls,
                   count(DISTINCT run_id) AS runs,
                   sum(input_tokens)::bigint AS input_tokens,
                   sum(output_tokens)::bigint AS output_tokens,
                   coalesce(sum(cached_input_tokens), 0)::bigint AS cached_input_tokens,
                   coalesce(sum(cost_usd), 0) AS cost_usd,
                   count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_calls,
                   avg(latency_ms) AS avg_latency_ms
              FROM agent.model_call_usage
             GROUP BY day, assistant_id, provider, model;
            """);
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.Sql("DROP VIEW IF EXISTS agent.usage_daily;");
        migrationBuilder.Sql("DROP VIEW IF EXISTS agent.model_call_usage;");
        migrationBuilder.DropTable(name: "model_calls", schema: "agent");
    }
}
