using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <summary>
    /// Creates what the web console reads beyond the LangGraph resources: <c>run_leases</c> (one row per claim, written
    /// by the trigger <c>runs_lease_history</c> whenever <c>lease_epoch</c> changes) and <c>worker_reports</c> (each
    /// worker's last self-report).
    /// </summary>
    public partial class ConsoleObservability : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "run_leases",
                schema: "agent",
                columns: table => new
                {
                    run_id = table.Column<Guid>(type: "uuid", nullable: false),
                    epoch = table.Column<long>(type: "bigint", nullable: false),
                    tenant_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    attempt = table.Column<int>(type: "integer", nullable: false),
                    step_count = table.Column<int>(type: "integer", nullable: false),
                    previous_owner = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_run_leases", x => new { x.run_id, x.epoch });
                    table.ForeignKey(
                        name: "FK_run_leases_runs_run_id",
                        column: x => x.run_id,
                        principalSchema: "agent",
                        principalTable: "runs",
                        principalColumn: "run_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "worker_reports",
                schema: "agent",
                columns: table => new
                {
                    instance_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    host = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    process_id = table.Column<int>(type: "integer", nullable: false),
                    slots = table.Column<int>(type: "integer", nullable: false),
                    busy_slots = table.Column<int>(type: "integer", nullable: false),
                    queue = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    queue_depth = table.Column<long>(type: "bigint", nullable: true),
                    queue_consumers = table.Column<long>(type: "bigint", nullable: true),
                    draining = table.Column<bool>(type: "boolean", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reported_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_worker_reports", x => x.instance_id);
                });

            // The history follows the fencing epoch itself: any statement that bumps lease_epoch leaves a row, in the same
            // transaction, so the claim stays one statement and the history cannot miss a takeover.
            migrationBuilder.Sql("""
                CREATE FUNCTION agent.record_run_lease() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO agent.run_leases (run_id, epoch, tenant_id, owner, attempt, step_count, previous_owner, claimed_at)
                    VALUES (NEW.run_id, NEW.lease_epoch, NEW.tenant_id, NEW.lease_owner, NEW.attempt, NEW.step_count,
                            OLD.lease_owner, NEW.updated_at)
                    ON CONFLICT (run_id, epoch) DO NOTHING;
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER runs_lease_history AFTER UPDATE OF lease_epoch ON agent.runs
                    FOR EACH ROW WHEN (NEW.lease_epoch IS DISTINCT FROM OLD.lease_epoch)
                    EXECUTE FUNCTION agent.record_run_lease();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER runs_lease_history ON agent.runs;
                DROP FUNCTION agent.record_run_lease();
                """);

            migrationBuilder.DropTable(
                name: "run_leases",
                schema: "agent");

            migrationBuilder.DropTable(
                name: "worker_reports",
                schema: "agent");
        }
    }
}
