using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Usage;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Persistence.Wire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Agent.Persistence.Runs;

internal sealed class AgentRunConfiguration : IEntityTypeConfiguration<AgentRun>
{
    /// <summary>The <c>fillfactor</c> of <c>agent.runs</c>, in percent of a page: 70 (PostgreSQL's default is 100).</summary>
    public const int FillFactor = 70;

    public void Configure(EntityTypeBuilder<AgentRun> builder)
    {
        builder.ToTable("runs");
        // Room on each page for a running run's new row versions: a step's update changes no indexed column
        // (RunLifecycle.CommitStepAsync), and it is HOT (no index entries, PostgreSQL docs "Heap-Only Tuples") only when the new
        // version fits on the same page. Applies to pages filled after the migration.
        builder.HasStorageParameter("fillfactor", FillFactor);
        builder.HasKey(r => r.RunId);
        builder.Property(r => r.RunId).HasColumnName("run_id").ValueGeneratedNever();
        builder.Property(r => r.TenantId).HasColumnName("tenant_id").HasMaxLength(AgentTenants.MaxLength);
        builder.Property(r => r.ThreadId).HasColumnName("thread_id");
        builder.Property(r => r.AssistantId).HasColumnName("assistant_id");
        builder.Property(r => r.Status).HasColumnName("status").HasMaxLength(32)
            .HasConversion(s => WireName.Of(s), text => WireName.Parse<AgentRunStatus>(text));
        builder.Property(r => r.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
        builder.Property(r => r.Kwargs).HasColumnName("kwargs").HasColumnType("jsonb");
        builder.Property(r => r.MultitaskStrategy).HasColumnName("multitask_strategy").HasMaxLength(32)
            .HasConversion(s => WireName.Of(s), text => WireName.Parse<MultitaskStrategy>(text));
        builder.Property(r => r.RecursionLimit).HasColumnName("recursion_limit");
        builder.Property(r => r.LeaseOwner).HasColumnName("lease_owner").HasMaxLength(200);
        builder.Property(r => r.LeaseEpoch).HasColumnName("lease_epoch");
        builder.Property(r => r.LeaseExpiresAt).HasColumnName("lease_expires_at");
        builder.Property(r => r.Attempt).HasColumnName("attempt");
        builder.Property(r => r.StepCount).HasColumnName("step_count");
        builder.Property(r => r.LastEventSequence).HasColumnName("last_event_sequence");
        builder.Property(r => r.InputTokens).HasColumnName("input_tokens");
        builder.Property(r => r.OutputTokens).HasColumnName("output_tokens");
        builder.Property(r => r.CostUsd).HasColumnName("cost_usd").HasPrecision(18, 8);
        builder.Property(r => r.Error).HasColumnName("error").HasColumnType("jsonb");
        builder.Property(r => r.CancelAction).HasColumnName("cancel_action").HasMaxLength(32);
        builder.Property(r => r.DeleteThreadOnCompletion).HasColumnName("delete_thread_on_completion");
        builder.Property(r => r.NextAttemptAt).HasColumnName("next_attempt_at");
        builder.Property(r => r.RetryCount).HasColumnName("retry_count");
        builder.Property(r => r.DispatchedAt).HasColumnName("dispatched_at");
        builder.Property(r => r.IdempotencyKey).HasColumnName("idempotency_key").HasMaxLength(AgentRun.IdempotencyKeyMaxLength);
        builder.Property(r => r.StartAfter).HasColumnName("start_after");
        builder.Property(r => r.Queue).HasColumnName("queue").HasMaxLength(Agent.Contracts.Runs.RunQueueName.MaxLength);
        builder.Property(r => r.CreatedAt).HasColumnName("created_at");
        builder.Property(r => r.UpdatedAt).HasColumnName("updated_at");
        builder.Property(r => r.StartedAt).HasColumnName("started_at");
        builder.Property(r => r.EndedAt).HasColumnName("ended_at");

        builder.HasOne<AgentThread>().WithMany().HasForeignKey(r => new { r.TenantId, r.ThreadId }).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Assistant>().WithMany().HasForeignKey(r => r.AssistantId).OnDelete(DeleteBehavior.Restrict);
        // What belongs to a run, configured here so Checkpoints, RunEvents and Usage need not know runs. Deleting a run
        // keeps the thread's state (LangGraph: runs are records, state belongs to the thread), so its checkpoints are
        // unlinked (rollback deletes them explicitly); its events and model calls go with it.
        builder.HasMany<Checkpoint>().WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.SetNull);
        builder.HasMany<RunEvent>().WithOne().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasMany<ModelCall>().WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.TenantId, r.ThreadId, r.CreatedAt }).HasDatabaseName("ix_runs_tenant_id_thread_id_created_at");
        builder.HasIndex(r => r.AssistantId).HasDatabaseName("ix_runs_assistant_id");
        // The sweeper's scan: only unfinished runs are ever looked up by status.
        builder.HasIndex(r => new { r.Status, r.LeaseExpiresAt }).HasDatabaseName("ix_runs_status_lease_expires_at");
        // A client's retry with the same Idempotency-Key finds the run it created; two concurrent ones cannot both insert.
        // Keys are per tenant: two tenants may pick the same key.
        builder.HasIndex(r => new { r.TenantId, r.IdempotencyKey }).IsUnique().HasFilter("idempotency_key IS NOT NULL")
            .HasDatabaseName("ux_runs_tenant_id_idempotency_key");
        // The per-tenant limit on concurrent runs counts a tenant's unfinished runs at every submission.
        builder.HasIndex(r => r.TenantId).HasFilter("status IN ('pending', 'running')").HasDatabaseName("ix_runs_tenant_id_unfinished");
    }
}
