using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Assistants;

internal sealed class AssistantConfiguration : IEntityTypeConfiguration<Assistant>
{
    public void Configure(EntityTypeBuilder<Assistant> builder)
    {
        builder.ToTable("assistants");
        builder.HasKey(a => a.AssistantId);
        builder.Property(a => a.AssistantId).HasColumnName("assistant_id").ValueGeneratedNever();
        builder.Property(a => a.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(a => a.GraphId).HasColumnName("graph_id").HasMaxLength(200);
        builder.Property(a => a.Name).HasColumnName("name").HasMaxLength(200);
        builder.Property(a => a.Description).HasColumnName("description");
        builder.Property(a => a.Config).HasColumnName("config").HasColumnType("jsonb");
        builder.Property(a => a.Context).HasColumnName("context").HasColumnType("jsonb");
        builder.Property(a => a.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
        builder.Property(a => a.Version).HasColumnName("version");
        builder.Property(a => a.CreatedAt).HasColumnName("created_at");
        builder.Property(a => a.UpdatedAt).HasColumnName("updated_at");
        builder.HasIndex(a => new { a.TenantId, a.GraphId }).HasDatabaseName("ix_assistants_tenant_id_graph_id");
    }
}
