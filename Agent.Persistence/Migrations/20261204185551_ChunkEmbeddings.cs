using Microsoft.EntityFrameworkCore.Migrations;
using NpgsqlTypes;

#nullable disable

namespace Agent.Persistence.Migrations
{
    /// <summary>
    /// Adds <c>chunks.text_hash</c> (generated: MD5 of heading and content), <c>chunk_embeddings</c> (the chunks'
    /// vectors by model and text hash) and <c>documents.title_vector</c> (generated), for hybrid search.
    /// </summary>
    public partial class ChunkEmbeddings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<NpgsqlTsVector>(
                name: "title_vector",
                schema: "agent",
                table: "documents",
                type: "tsvector",
                nullable: false,
                computedColumnSql: "setweight(to_tsvector('english'::regconfig, title), 'A')",
                stored: true);

            migrationBuilder.AddColumn<string>(
                name: "text_hash",
                schema: "agent",
                table: "chunks",
                type: "text",
                nullable: false,
                computedColumnSql: "md5((heading || E'\\n') || content)",
                stored: true);

            migrationBuilder.CreateTable(
                name: "chunk_embeddings",
                schema: "agent",
                columns: table => new
                {
                    model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    text_hash = table.Column<string>(type: "text", nullable: false),
                    embedding = table.Column<float[]>(type: "real[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_chunk_embeddings", x => new { x.model, x.text_hash });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "chunk_embeddings",
                schema: "agent");

            migrationBuilder.DropColumn(
                name: "title_vector",
                schema: "agent",
                table: "documents");

            migrationBuilder.DropColumn(
                name: "text_hash",
                schema: "agent",
                table: "chunks");
        }
    }
}
