using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Documents;

internal sealed class DocumentConfiguration : IEntityTypeConfiguration<Document>
{
    public void Configure(EntityTypeBuilder<Document> builder)
    {
        builder.ToTable("documents");
        builder.HasKey(d => d.DocumentId);
        builder.Property(d => d.DocumentId).HasColumnName("document_id").UseIdentityAlwaysColumn();
        builder.Property(d => d.Source).HasColumnName("source").HasMaxLength(400);
        builder.Property(d => d.Title).HasColumnName("title");
        builder.Property(d => d.ContentHash).HasColumnName("content_hash").HasMaxLength(64);
        builder.Property(d => d.IngestedAt).HasColumnName("ingested_at");
        builder.HasIndex(d => d.Source).IsUnique().HasDatabaseName("ux_documents_source");
        builder.HasMany(d => d.Chunks).WithOne(c => c.Document).HasForeignKey(c => c.DocumentId).OnDelete(DeleteBehavior.Cascade);
    }
}
