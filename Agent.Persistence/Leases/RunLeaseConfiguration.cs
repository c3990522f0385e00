using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Leases;

internal sealed class RunLeaseConfiguration : IEntityTypeConfiguration<RunLease>
{
    public void Configure(EntityTypeBuilder<RunLease> builder)
    {
        builder.ToTable("run_leases");
        builder.HasKey(l => new { l.RunId, l.Epoch });
        builder.Property(l => l.RunId).HasColumnName("run_id");
        builder.Property(l => l.Epoch).HasColumnName("epoch");
        builder.Property(l => l.TenantId).HasColumnName("tenant_id").HasMaxLength(64);
        builder.Property(l => l.Owner).HasColumnName("owner").HasMaxLength(200);
        builder.Property(l => l.Attempt).HasColumnName("attempt");
        builder.Property(l => l.StepCount).HasColumnName("step_count");
        builder.Property(l => l.PreviousOwner).HasColumnName("previous_owner").HasMaxLength(200);
        builder.Property(l => l.ClaimedAt).HasColumnName("claimed_at");

        // A deleted run (rollback, thread delete) takes its lease history with it.
        builder.HasOne<AgentRun>().WithMany().HasForeignKey(l => l.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
