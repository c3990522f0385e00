using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Creates the webhook outbox <c>webhook_deliveries</c> and the trigger that fills it: when a run with a
/// <c>webhook</c> reaches a final status, a delivery row is inserted in the same transaction, whichever code ended
/// the run (the worker's final commit, the API cancelling a pending run).
/// </summary>
/// <remarks>Hand-written in EF's generated form. The table is read and written with SQL through the context
/// (<see cref="Webhooks.WebhookOutbox"/>), so it is not part of the EF model.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261204160000_WebhookOutbox")]
public partial class WebhookOutbox : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        var terminal = string.Join(", ", new[] { AgentRunStatus.Success, AgentRunStatus.Error, AgentRunStatus.Timeout, AgentRunStatus.Interrupted }
            .Select(s => $"'{s}'"));
        migrationBuilder.Sql("""
            CREATE TABLE agent.webhook_deliveries (
                delivery_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                run_id uuid NOT NULL,
                tenant_id character varying(64),
                url text NOT NULL,
                created_at timestamp with time zone NOT NULL DEFAULT now(),
                next_attempt_at timestamp with time zone NOT NULL DEFAULT now(),
                attempts integer NOT NULL DEFAULT 0,
                claimed_by text,
                claimed_until timestamp with time zone,
                delivered_at timestamp with time zone,
                failed_at timestamp with time zone,
                last_status integer,
                last_error text);
            CREATE INDEX ix_webhook_deliveries_due ON agent.webhook_deliveries (next_attempt_at)
                WHERE delivered_at IS NULL AND failed_at IS NULL;
            CREATE INDEX ix_webhook_deliveries_run_id ON agent.webhook_deliveries (run_id);
            """);
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
    protected override void Down(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql("""
            DROP TRIGGER runs_enqueue_webhook ON agent.runs;
            DROP FUNCTION agent.enqueue_run_webhook();
            DROP TABLE agent.webhook_deliveries;
            """);
}
