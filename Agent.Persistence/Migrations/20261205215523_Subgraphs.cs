using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Subgraphs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_checkpoints_run_id_step",
                schema: "agent",
                table: "checkpoints");

            migrationBuilder.AddColumn<string>(
                name: "subgraphs",
                schema: "agent",
                table: "graphs",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'{}'::jsonb");

            migrationBuilder.AddColumn<string>(
                name: "checkpoint_ns",
                schema: "agent",
                table: "checkpoints",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "ux_checkpoints_run_id_step",
                schema: "agent",
                table: "checkpoints",
                columns: new[] { "run_id", "checkpoint_ns", "step" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_checkpoints_run_id_step",
                schema: "agent",
                table: "checkpoints");

            migrationBuilder.DropColumn(
                name: "subgraphs",
                schema: "agent",
                table: "graphs");

            migrationBuilder.DropColumn(
                name: "checkpoint_ns",
                schema: "agent",
                table: "checkpoints");

            migrationBuilder.CreateIndex(
                name: "ux_checkpoints_run_id_step",
                schema: "agent",
                table: "checkpoints",
                columns: new[] { "run_id", "step" },
                unique: true);
        }
    }
}
