using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CheckpointNextAndInterrupts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "interrupts",
                schema: "agent",
                table: "checkpoints",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string[]>(
                name: "next",
                schema: "agent",
                table: "checkpoints",
                type: "text[]",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "interrupts",
                schema: "agent",
                table: "checkpoints");

            migrationBuilder.DropColumn(
                name: "next",
                schema: "agent",
                table: "checkpoints");
        }
    }
}
