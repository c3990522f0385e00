using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Assistants;

internal sealed class AssistantVersionConfiguration : IEntityTypeConfiguration<AssistantVersion>
{
    public void Configure(EntityTypeBuilder<AssistantVersion> builder)
    {
        builder.ToTable("assistant_versions");
        builder.HasKey(v => new { v.AssistantId, v.Version });
        builder.Property(v => v.AssistantId).HasColumnName("assistant_id");
        builder.Property(v => v.Version).HasColumnName("version");
        builder.Property(v => v.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(v => v.GraphId).HasColumnName("graph_id").HasMaxLength(200);
        builder.Property(v => v.Name).HasColumnName("name").HasMaxLength(200);
        builder.Property(v => v.Description).HasColumnName("description");
        builder.Property(v => v.Config).HasColumnName("config").HasColumnType("jsonb");
        builder.Property(v => v.Context).HasColumnName("context").HasColumnType("jsonb");
        builder.Property(v => v.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
        builder.Property(v => v.CreatedAt).HasColumnName("created_at");
        builder.HasOne<Assistant>().WithMany().HasForeignKey(v => v.AssistantId).OnDelete(DeleteBehavior.Cascade);
    }
}
