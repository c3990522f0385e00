using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Adds what durable execution needs on runs: <c>next_attempt_at</c> and <c>retry_count</c> (a run parked to wait out
/// a transient failure), <c>dispatched_at</c> (when the sweeper last republished it) and <c>idempotency_key</c> (the
/// client's <c>Idempotency-Key</c>, unique).
/// </summary>
/// <remarks>Hand-written in EF's generated form; the model snapshot beside it must match the model.</remarks>
[Microsoft.EntityFrameworkCore.Infrastructure.DbContext(typeof(AgentDbContext))]
[Migration("20261121100000_DurableExecution")]
public partial class DurableExecution : Migration
{
    /// <inheritdoc />
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.AddColumn<DateTimeOffset>(
            name: "next_attempt_at", schema: "agent", table: "runs", type: "timestamp with time zone", nullable: true);
        migrationBuilder.AddColumn<int>(
            name: "retry_count", schema: "agent", table: "runs", type: "integer", nullable: false, defaultValue: 0);
        migrationBuilder.AddColumn<DateTimeOffset>(
            name: "dispatched_at", schema: "agent", table: "runs", type: "timestamp with time zone", nullable: true);
        migrationBuilder.AddColumn<string>(
            name: "idempotency_key", schema: "agent", table: "runs", type: "character varying(200)", maxLength: 200, nullable: true);
        migrationBuilder.CreateIndex(
            name: "ux_runs_tenant_id_idempotency_key", schema: "agent", table: "runs", columns: ["tenant_id", "idempotency_key"], unique: true,
            filter: "idempotency_key IS NOT NULL");
    }

    /// <inheritdoc />
    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropIndex(name: "ux_runs_tenant_id_idempotency_key", schema: "agent", table: "runs");
        migrationBuilder.DropColumn(name: "idempotency_key", schema: "agent", table: "runs");
        migrationBuilder.DropColumn(name: "dispatched_at", schema: "agent", table: "runs");
        migrationBuilder.DropColumn(name: "retry_count", schema: "agent", table: "runs");
        migrationBuilder.DropColumn(name: "next_attempt_at", schema: "agent", table: "runs");
    }
}
