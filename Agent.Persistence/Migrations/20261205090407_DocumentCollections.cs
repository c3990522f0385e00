using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <summary>
    /// Adds document collections: <c>document_collections</c> (name, version), and <c>documents.collection</c>, with
    /// the source unique per collection. Documents ingested before collections existed (the PostgreSQL manual) move
    /// into the collection <c>postgresql-15</c>, which is created when there are any.
    /// </summary>
    public partial class DocumentCollections : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ux_documents_source",
                schema: "agent",
                table: "documents");

            // Every document so far is a page of the manual: the default fills the column for them, then goes.
            migrationBuilder.AddColumn<string>(
                name: "collection",
                schema: "agent",
                table: "documents",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "postgresql-15");

            migrationBuilder.AlterColumn<string>(
                name: "collection",
                schema: "agent",
                table: "documents",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(64)",
                oldMaxLength: 64,
                oldDefaultValue: "postgresql-15");

            migrationBuilder.CreateTable(
                name: "document_collections",
                schema: "agent",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_document_collections", x => x.name);
                });

            migrationBuilder.Sql("""
                INSERT INTO agent.document_collections (name, version, updated_at)
                SELECT DISTINCT collection, 1, now() FROM agent.documents
                """);

            migrationBuilder.CreateIndex(
                name: "ux_documents_collection_source",
                schema: "agent",
                table: "documents",
                columns: new[] { "collection", "source" },
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_documents_document_collections_collection",
                schema: "agent",
                table: "documents",
                column: "collection",
                principalSchema: "agent",
                principalTable: "document_collections",
                principalColumn: "name",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_documents_document_collections_collection",
                schema: "agent",
                table: "documents");

            migrationBuilder.DropTable(
                name: "document_collections",
                schema: "agent");

            migrationBuilder.DropIndex(
                name: "ux_documents_collection_source",
                schema: "agent",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "collection",
                schema: "agent",
                table: "documents");

            migrationBuilder.CreateIndex(
                name: "ux_documents_source",
                schema: "agent",
                table: "documents",
                column: "source",
                unique: true);
        }
    }
}
