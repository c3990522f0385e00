using Agent.Persistence.Checkpoints;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Wire;
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
        builder.Property(t => t.TtlMinutes).HasColumnName("ttl_minutes");
        // The TTL sweep reads only threads that have a ttl.
        builder.HasIndex(t => t.UpdatedAt).HasFilter("ttl_minutes IS NOT NULL").HasDatabaseName("ix_threads_ttl_updated_at");

        // A thread's checkpoints are its state and go with it; configured here so Checkpoints need not know threads.
        builder.HasMany<Checkpoint>().WithOne().HasForeignKey(c => new { c.TenantId, c.ThreadId }).OnDelete(DeleteBehavior.Cascade);
    }
}
