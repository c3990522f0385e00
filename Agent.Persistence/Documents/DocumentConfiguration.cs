using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Documents;

internal sealed class DocumentConfiguration : IEntityTypeConfiguration<Document>
{
    /// <summary>The generated column's expression: the title's lexemes at weight A, prepended to a chunk's for ranking.</summary>
    internal const string TitleVectorSql = "setweight(to_tsvector('english'::regconfig, title), 'A')";

    public void Configure(EntityTypeBuilder<Document> builder)
    {
        builder.ToTable("documents");
        builder.HasKey(d => d.DocumentId);
        builder.Property(d => d.DocumentId).HasColumnName("document_id").UseIdentityAlwaysColumn();
        builder.Property(d => d.Collection).HasColumnName("collection").HasMaxLength(DocumentCollectionName.MaxLength);
        builder.Property(d => d.Source).HasColumnName("source").HasMaxLength(400);
        builder.Property(d => d.Title).HasColumnName("title");
        builder.Property(d => d.ContentHash).HasColumnName("content_hash").HasMaxLength(64);
        builder.Property(d => d.IngestedAt).HasColumnName("ingested_at");
        builder.Property(d => d.TitleVector).HasColumnName("title_vector").HasColumnType("tsvector")
            .HasComputedColumnSql(TitleVectorSql, stored: true);
        builder.HasIndex(d => new { d.Collection, d.Source }).IsUnique().HasDatabaseName("ux_documents_collection_source");
        builder.HasMany(d => d.Chunks).WithOne(c => c.Document).HasForeignKey(c => c.DocumentId).OnDelete(DeleteBehavior.Cascade);
    }
}
