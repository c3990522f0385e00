using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Usage;

internal sealed class ModelCallConfiguration : IEntityTypeConfiguration<ModelCall>
{
    public void Configure(EntityTypeBuilder<ModelCall> builder)
    {
        builder.ToTable("model_calls");
        builder.HasKey(c => c.ModelCallId);
        builder.Property(c => c.ModelCallId).HasColumnName("model_call_id").ValueGeneratedNever();
        builder.Property(c => c.RunId).HasColumnName("run_id");
        builder.Property(c => c.Step).HasColumnName("step");
        builder.Property(c => c.CheckpointNs).HasColumnName("checkpoint_ns").HasMaxLength(1024).HasDefaultValue("");
        builder.Property(c => c.ThreadId).HasColumnName("thread_id");
        builder.Property(c => c.AssistantId).HasColumnName("assistant_id");
        builder.Property(c => c.TenantId).HasColumnName("tenant_id").HasColumnType("text");
        builder.Property(c => c.Provider).HasColumnName("provider").HasMaxLength(64);
        builder.Property(c => c.Model).HasColumnName("model").HasMaxLength(200);
        builder.Property(c => c.InputTokens).HasColumnName("input_tokens");
        builder.Property(c => c.OutputTokens).HasColumnName("output_tokens");
        builder.Property(c => c.CachedInputTokens).HasColumnName("cached_input_tokens");
        builder.Property(c => c.LatencyMs).HasColumnName("latency_ms");
        builder.Property(c => c.FinishReason).HasColumnName("finish_reason").HasMaxLength(32);
        builder.Property(c => c.CostUsd).HasColumnName("cost_usd").HasPrecision(18, 8);
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");

        // The link to the run (cascade) is configured by AgentRunConfiguration.
        // One model call per step (a subgraph's steps are numbered in their namespace, as its checkpoints are): a step
        // re-committed after a takeover fails here as it fails on the checkpoint.
        builder.HasIndex(c => new { c.RunId, c.CheckpointNs, c.Step }).IsUnique().HasDatabaseName("ux_model_calls_run_id_step");
        builder.HasIndex(c => new { c.ThreadId, c.CreatedAt }).HasDatabaseName("ix_model_calls_thread_id_created_at");
        builder.HasIndex(c => new { c.AssistantId, c.CreatedAt }).HasDatabaseName("ix_model_calls_assistant_id_created_at");
        builder.HasIndex(c => c.CreatedAt).HasDatabaseName("ix_model_calls_created_at");
    }
}
