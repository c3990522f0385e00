using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ModelCallNamespaces : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_model_calls_run_id_step",
                schema: "agent",
                table: "model_calls");

            migrationBuilder.AddColumn<string>(
                name: "checkpoint_ns",
                schema: "agent",
                table: "model_calls",
                type: "character varying(1024)",
                maxLength: 1024,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "ux_model_calls_run_id_step",
                schema: "agent",
                table: "model_calls",
                columns: new[] { "run_id", "checkpoint_ns", "step" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_model_calls_run_id_step",
                schema: "agent",
                table: "model_calls");

            migrationBuilder.DropColumn(
                name: "checkpoint_ns",
                schema: "agent",
                table: "model_calls");

            migrationBuilder.CreateIndex(
                name: "ux_model_calls_run_id_step",
                schema: "agent",
                table: "model_calls",
                columns: new[] { "run_id", "step" },
                unique: true);
        }
    }
}
