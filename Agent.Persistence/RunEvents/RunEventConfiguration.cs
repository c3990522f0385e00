using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.RunEvents;

internal sealed class RunEventConfiguration : IEntityTypeConfiguration<RunEvent>
{
    /// <summary>The view EF Core queries run events through (migration <c>StepEventsByReference</c>).</summary>
    public const string ExpandedView = "run_events_expanded";

    public void Configure(EntityTypeBuilder<RunEvent> builder)
    {
        builder.ToTable("run_events");
        // Queries read the view, which puts a step event's messages and values back from its checkpoint's delta (the
        // row stores them once, in the checkpoint: RunEventKinds.Step); writes go to the table.
        builder.ToView(ExpandedView, AgentDbContext.Schema);
        builder.HasKey(e => new { e.RunId, e.Sequence });
        builder.Property(e => e.RunId).HasColumnName("run_id");
        builder.Property(e => e.Sequence).HasColumnName("sequence").ValueGeneratedNever();
        builder.Property(e => e.Kind).HasColumnName("kind").HasMaxLength(32);
        builder.Property(e => e.Data).HasColumnName("data").HasColumnType("jsonb");
        builder.Property(e => e.CreatedAt).HasColumnName("created_at");
        // The link to the run (cascade) is configured by AgentRunConfiguration.
    }
}
