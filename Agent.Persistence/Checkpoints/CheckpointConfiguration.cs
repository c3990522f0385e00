using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Checkpoints;

internal sealed class CheckpointConfiguration : IEntityTypeConfiguration<Checkpoint>
{
    /// <summary>The name of the query filter that reads the thread's own graph (<c>checkpoint_ns</c> empty) by default.</summary>
    public const string RootNamespaceFilter = "root_namespace";

    public void Configure(EntityTypeBuilder<Checkpoint> builder)
    {
        builder.ToTable("checkpoints");
        // A checkpoint id is unique within its thread, not across threads: a thread copy keeps its checkpoints' ids, as
        // LangGraph's does, so every lookup by id names the thread (and the tenant, whose threads these are) too.
        builder.HasKey(c => new { c.TenantId, c.ThreadId, c.CheckpointId });
        builder.Property(c => c.CheckpointId).HasColumnName("checkpoint_id").ValueGeneratedNever();
        builder.Property(c => c.Sequence).HasColumnName("sequence").UseIdentityAlwaysColumn();
        builder.Property(c => c.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(c => c.ThreadId).HasColumnName("thread_id");
        builder.Property(c => c.RunId).HasColumnName("run_id");
        builder.Property(c => c.CheckpointNs).HasColumnName("checkpoint_ns").HasMaxLength(1024).HasDefaultValue("");
        builder.Property(c => c.ParentCheckpointId).HasColumnName("parent_checkpoint_id");
        builder.Property(c => c.Step).HasColumnName("step");
        builder.Property(c => c.Node).HasColumnName("node").HasMaxLength(64);
        builder.Property(c => c.Delta).HasColumnName("delta").HasColumnType("jsonb");
        builder.Property(c => c.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
        builder.Property(c => c.Next).HasColumnName("next");
        builder.Property(c => c.Interrupts).HasColumnName("interrupts").HasColumnType("jsonb");
        builder.Property(c => c.CreatedAt).HasColumnName("created_at");

        // The links to the thread and to the run are configured by AgentThreadConfiguration and AgentRunConfiguration
        // (threads and runs know their checkpoints, not the reverse).
        // A step is committed at most once per run and namespace: the second writer of a step fails on this index.
        builder.HasIndex(c => new { c.RunId, c.CheckpointNs, c.Step }).IsUnique().HasDatabaseName("ux_checkpoints_run_id_step");
        // A subgraph's checkpoints are read only where asked for (the worker resuming a run, state with subgraphs=true):
        // everything else (state, history, copies, webhooks) reads the thread's own graph.
        // Named: the context adds the tenant filter under its own name, and an unnamed filter would replace this one.
        builder.HasQueryFilter(RootNamespaceFilter, c => c.CheckpointNs == "");
        builder.HasIndex(c => new { c.TenantId, c.ThreadId, c.Sequence }).HasDatabaseName("ix_checkpoints_tenant_id_thread_id_sequence");
    }
}
