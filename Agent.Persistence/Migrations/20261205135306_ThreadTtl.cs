using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ThreadTtl : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ttl_minutes",
                schema: "agent",
                table: "threads",
                type: "integer",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_threads_ttl_updated_at",
                schema: "agent",
                table: "threads",
                column: "updated_at",
                filter: "ttl_minutes IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_threads_ttl_updated_at",
                schema: "agent",
                table: "threads");

            migrationBuilder.DropColumn(
                name: "ttl_minutes",
                schema: "agent",
                table: "threads");
        }
    }
}
