using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Documents;

internal sealed class DocumentCollectionConfiguration : IEntityTypeConfiguration<DocumentCollection>
{
    public void Configure(EntityTypeBuilder<DocumentCollection> builder)
    {
        builder.ToTable("document_collections");
        builder.HasKey(c => c.Name);
        builder.Property(c => c.Name).HasColumnName("name").HasMaxLength(DocumentCollectionName.MaxLength);
        builder.Property(c => c.Version).HasColumnName("version");
        builder.Property(c => c.UpdatedAt).HasColumnName("updated_at");
        builder.HasMany(c => c.Documents).WithOne().HasForeignKey(d => d.Collection).OnDelete(DeleteBehavior.Cascade);
    }
}
