using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.ModelCircuits;

internal sealed class ModelCircuitConfiguration : IEntityTypeConfiguration<ModelCircuit>
{
    public void Configure(EntityTypeBuilder<ModelCircuit> builder)
    {
        builder.ToTable("model_circuits");
        builder.HasKey(c => c.Key);
        builder.Property(c => c.Key).HasColumnName("key").HasMaxLength(300);
        builder.Property(c => c.OpenUntil).HasColumnName("open_until");
        builder.Property(c => c.OpenedAt).HasColumnName("opened_at");
        builder.Property(c => c.OpenedBy).HasColumnName("opened_by").HasMaxLength(200);
        builder.Property(c => c.Reason).HasColumnName("reason").HasMaxLength(500);
    }
}
