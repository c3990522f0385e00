using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Documents;

internal sealed class ChunkConfiguration : IEntityTypeConfiguration<Chunk>
{
    /// <summary>The generated column's expression: the heading outranks the body (weights A and B).</summary>
    internal const string SearchVectorSql =
        "setweight(to_tsvector('english'::regconfig, heading), 'A') || setweight(to_tsvector('english'::regconfig, content), 'B')";

    /// <summary>
    /// The generated column's expression: MD5 of heading, newline, content (what an embedding is keyed by).
    /// </summary>
    internal const string TextHashSql = "md5((heading || E'\\n') || content)";

    public void Configure(EntityTypeBuilder<Chunk> builder)
    {
        builder.ToTable("chunks");
        builder.HasKey(c => c.ChunkId);
        builder.Property(c => c.ChunkId).HasColumnName("chunk_id").UseIdentityAlwaysColumn();
        builder.Property(c => c.DocumentId).HasColumnName("document_id");
        builder.Property(c => c.Ordinal).HasColumnName("ordinal");
        builder.Property(c => c.Heading).HasColumnName("heading");
        builder.Property(c => c.Content).HasColumnName("content");
        builder.Property(c => c.SearchVector).HasColumnName("search_vector").HasColumnType("tsvector")
            .HasComputedColumnSql(SearchVectorSql, stored: true);
        builder.Property(c => c.TextHash).HasColumnName("text_hash").HasColumnType("text")
            .HasComputedColumnSql(TextHashSql, stored: true);
        builder.HasIndex(c => new { c.DocumentId, c.Ordinal }).IsUnique().HasDatabaseName("ux_chunks_document_id_ordinal");
        builder.HasIndex(c => c.SearchVector).HasMethod("GIN").HasDatabaseName("ix_chunks_search_vector");
    }
}
