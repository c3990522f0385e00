using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CheckpointKeyPerThread : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_checkpoints",
                schema: "agent",
                table: "checkpoints");

            migrationBuilder.AddPrimaryKey(
                name: "PK_checkpoints",
                schema: "agent",
                table: "checkpoints",
                columns: new[] { "tenant_id", "thread_id", "checkpoint_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "PK_checkpoints",
                schema: "agent",
                table: "checkpoints");

            migrationBuilder.AddPrimaryKey(
                name: "PK_checkpoints",
                schema: "agent",
                table: "checkpoints",
                column: "checkpoint_id");
        }
    }
}
