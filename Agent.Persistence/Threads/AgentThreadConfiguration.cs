using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Threads;

internal sealed class AgentThreadConfiguration : IEntityTypeConfiguration<AgentThread>
{
    public void Configure(EntityTypeBuilder<AgentThread> builder)
    {
        builder.ToTable("threads");
        builder.HasKey(t => new { t.TenantId, t.ThreadId });
        builder.Property(t => t.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(t => t.ThreadId).HasColumnName("thread_id").ValueGeneratedNever();
        builder.Property(t => t.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
        builder.Property(t => t.Status).HasColumnName("status").HasMaxLength(32)
            .HasConversion(s => WireName.Of(s), text => WireName.Parse<AgentThreadStatus>(text));
        builder.Property(t => t.CreatedAt).HasColumnName("created_at");
        builder.Property(t => t.UpdatedAt).HasColumnName("updated_at");
    }
}
