using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class ModelCircuits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "model_circuits",
                schema: "agent",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    open_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    opened_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    opened_by = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_model_circuits", x => x.key);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "model_circuits",
                schema: "agent");
        }
    }
}
