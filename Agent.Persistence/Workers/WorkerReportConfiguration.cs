using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Workers;

internal sealed class WorkerReportConfiguration : IEntityTypeConfiguration<WorkerReport>
{
    public void Configure(EntityTypeBuilder<WorkerReport> builder)
    {
        builder.ToTable("worker_reports");
        builder.HasKey(w => w.InstanceId);
        builder.Property(w => w.InstanceId).HasColumnName("instance_id").HasMaxLength(200);
        builder.Property(w => w.Host).HasColumnName("host").HasMaxLength(255);
        builder.Property(w => w.ProcessId).HasColumnName("process_id");
        builder.Property(w => w.Slots).HasColumnName("slots");
        builder.Property(w => w.BusySlots).HasColumnName("busy_slots");
        builder.Property(w => w.Queue).HasColumnName("queue").HasMaxLength(255);
        builder.Property(w => w.QueueDepth).HasColumnName("queue_depth");
        builder.Property(w => w.QueueConsumers).HasColumnName("queue_consumers");
        builder.Property(w => w.Draining).HasColumnName("draining");
        builder.Property(w => w.StartedAt).HasColumnName("started_at");
        builder.Property(w => w.ReportedAt).HasColumnName("reported_at");
    }
}
