using Agent.Persistence.Assistants;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Crons;

internal sealed class CronConfiguration : IEntityTypeConfiguration<Cron>
{
    public void Configure(EntityTypeBuilder<Cron> builder)
    {
        builder.ToTable("crons");
        builder.HasKey(c => c.CronId);
        builder.Property(c => c.CronId).HasColumnName("cron_id").ValueGeneratedNever();
        builder.Property(c => c.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(c => c.AssistantId).HasColumnName("assistant_id");
        builder.Property(c => c.ThreadId).HasColumnName("thread_id");
        builder.Property(c => c.Schedule).HasColumnName("schedule").HasMaxLength(200);
        builder.Property(c => c.Timezone).HasColumnName("timezone").HasMaxLength(100);
        builder.Property(c => c.EndTime).HasColumnName("end_time");
        builder.Property(c => c.Payload).HasColumnName("payload").HasColumnType("jsonb");
        builder.Property(c => c.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
        builder.Property(c => c.Enabled).HasColumnName("enabled");
        builder.Property(c => c.OnRunCompleted).HasColumnName("on_run_completed").HasMaxLength(16);
        builder.Property(c => c.NextRunDate).HasColumnName("next_run_date");
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");
        builder.Property(c => c.UpdatedAt).HasColumnName("updated_at");

        builder.HasOne<Assistant>().WithMany().HasForeignKey(c => c.AssistantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<AgentThread>().WithMany().HasForeignKey(c => new { c.TenantId, c.ThreadId }).OnDelete(DeleteBehavior.Cascade);
        // The scheduler's scan: enabled crons by next tick.
        builder.HasIndex(c => new { c.Enabled, c.NextRunDate }).HasDatabaseName("ix_crons_enabled_next_run_date");
        builder.HasIndex(c => new { c.TenantId, c.AssistantId }).HasDatabaseName("ix_crons_tenant_id_assistant_id");
    }
}
