using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <summary>
    /// Creates the webhook outbox <c>webhook_deliveries</c> and the trigger that fills it: when a run with a
    /// <c>webhook</c> reaches a final status, a delivery row is inserted in the same transaction, whichever code ended
    /// the run (the worker's final commit, the API cancelling a pending run).
    /// </summary>
    public partial class WebhookOutbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                schema: "agent",
                columns: table => new
                {
                    delivery_id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    url = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    attempts = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    claimed_by = table.Column<string>(type: "text", nullable: true),
                    claimed_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    delivered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    failed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_status = table.Column<int>(type: "integer", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_deliveries", x => x.delivery_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_due",
                schema: "agent",
                table: "webhook_deliveries",
                column: "next_attempt_at",
                filter: "delivered_at IS NULL AND failed_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_run_id",
                schema: "agent",
                table: "webhook_deliveries",
                column: "run_id");

            var terminal = string.Join(", ", new[] { "success", "error", "timeout", "interrupted" }
                .Select(s => $"'{s}'"));
            migrationBuilder.Sql($$"""
                CREATE FUNCTION agent.enqueue_run_webhook() RETURNS trigger LANGUAGE plpgsql AS $fn$
                BEGIN
                    IF NEW.status IN ({{terminal}}) AND OLD.status NOT IN ({{terminal}})
                       AND jsonb_typeof(NEW.kwargs -> 'webhook') = 'string' THEN
                        INSERT INTO agent.webhook_deliveries (run_id, tenant_id, url)
                        VALUES (NEW.run_id, NEW.tenant_id, NEW.kwargs ->> 'webhook');
                    END IF;
                    RETURN NEW;
                END
                $fn$;
                CREATE TRIGGER runs_enqueue_webhook AFTER UPDATE OF status ON agent.runs
                    FOR EACH ROW EXECUTE FUNCTION agent.enqueue_run_webhook();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER runs_enqueue_webhook ON agent.runs;
                DROP FUNCTION agent.enqueue_run_webhook();
                """);

            migrationBuilder.DropTable(
                name: "webhook_deliveries",
                schema: "agent");
        }
    }
}
