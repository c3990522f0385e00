using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Documents;

internal sealed class ChunkEmbeddingConfiguration : IEntityTypeConfiguration<ChunkEmbedding>
{
    public void Configure(EntityTypeBuilder<ChunkEmbedding> builder)
    {
        builder.ToTable("chunk_embeddings");
        builder.HasKey(e => new { e.Model, e.TextHash });
        builder.Property(e => e.Model).HasColumnName("model").HasMaxLength(200);
        builder.Property(e => e.TextHash).HasColumnName("text_hash").HasColumnType("text");
        builder.Property(e => e.Embedding).HasColumnName("embedding").HasColumnType("real[]");
    }
}
