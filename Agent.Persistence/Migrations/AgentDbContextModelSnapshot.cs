using System;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using NpgsqlTypes;

#nullable disable

namespace Agent.Persistence.Migrations;

/// <summary>
/// Records the model as of the latest migration; EF compares it with the current model to find pending changes.
/// </summary>
[DbContext(typeof(AgentDbContext))]
internal sealed class AgentDbContextModelSnapshot : ModelSnapshot
{
    protected override void BuildModel(ModelBuilder modelBuilder)
    {
        modelBuilder
            .HasDefaultSchema("agent")
            .HasAnnotation("ProductVersion", "10.0.0")
            .HasAnnotation("Relational:MaxIdentifierLength", 63);

        NpgsqlModelBuilderExtensions.UseIdentityByDefaultColumns(modelBuilder);

        modelBuilder.Entity("Agent.Persistence.ApiKeys.ApiKey", b =>
        {
            b.Property<Guid>("KeyId").HasColumnType("uuid").HasColumnName("key_id");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<byte[]>("KeyHash").IsRequired().HasColumnType("bytea").HasColumnName("key_hash");
            b.Property<string>("Name").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("name");
            b.Property<DateTimeOffset?>("RevokedAt").HasColumnType("timestamp with time zone").HasColumnName("revoked_at");
            b.Property<string>("Scopes").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("scopes");
            b.Property<string>("TenantId").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.HasKey("KeyId");
            b.HasIndex("TenantId", "CreatedAt").HasDatabaseName("ix_api_keys_tenant_id_created_at");
            b.ToTable("api_keys", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Assistants.Assistant", b =>
        {
            b.Property<Guid>("AssistantId").HasColumnType("uuid").HasColumnName("assistant_id");
            b.Property<string>("Config").IsRequired().HasColumnType("jsonb").HasColumnName("config");
            b.Property<string>("Context").IsRequired().HasColumnType("jsonb").HasColumnName("context");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("Description").HasColumnType("text").HasColumnName("description");
            b.Property<string>("GraphId").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("graph_id");
            b.Property<string>("Metadata").IsRequired().HasColumnType("jsonb").HasColumnName("metadata");
            b.Property<string>("Name").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("name");
            b.Property<string>("TenantId").HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.Property<DateTimeOffset>("UpdatedAt").HasColumnType("timestamp with time zone").HasColumnName("updated_at");
            b.Property<int>("Version").HasColumnType("integer").HasColumnName("version");
            b.HasKey("AssistantId");
            b.HasIndex("TenantId", "GraphId").HasDatabaseName("ix_assistants_tenant_id_graph_id");
            b.ToTable("assistants", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Assistants.AssistantVersion", b =>
        {
            b.Property<Guid>("AssistantId").HasColumnType("uuid").HasColumnName("assistant_id");
            b.Property<int>("Version").HasColumnType("integer").HasColumnName("version");
            b.Property<string>("Config").IsRequired().HasColumnType("jsonb").HasColumnName("config");
            b.Property<string>("Context").IsRequired().HasColumnType("jsonb").HasColumnName("context");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("Description").HasColumnType("text").HasColumnName("description");
            b.Property<string>("GraphId").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("graph_id");
            b.Property<string>("Metadata").IsRequired().HasColumnType("jsonb").HasColumnName("metadata");
            b.Property<string>("Name").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("name");
            b.Property<string>("TenantId").HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.HasKey("AssistantId", "Version");
            b.ToTable("assistant_versions", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Checkpoints.Checkpoint", b =>
        {
            b.Property<Guid>("CheckpointId").HasColumnType("uuid").HasColumnName("checkpoint_id");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("Delta").IsRequired().HasColumnType("jsonb").HasColumnName("delta");
            b.Property<string>("Metadata").IsRequired().HasColumnType("jsonb").HasColumnName("metadata");
            b.Property<string>("Node").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("node");
            b.Property<Guid?>("ParentCheckpointId").HasColumnType("uuid").HasColumnName("parent_checkpoint_id");
            b.Property<Guid?>("RunId").HasColumnType("uuid").HasColumnName("run_id");
            b.Property<long>("Sequence").ValueGeneratedOnAdd().HasColumnType("bigint").HasColumnName("sequence");
            NpgsqlPropertyBuilderExtensions.UseIdentityAlwaysColumn(b.Property<long>("Sequence"));
            b.Property<int>("Step").HasColumnType("integer").HasColumnName("step");
            b.Property<string>("TenantId").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.Property<Guid>("ThreadId").HasColumnType("uuid").HasColumnName("thread_id");
            b.HasKey("CheckpointId");
            b.HasIndex("RunId", "Step").IsUnique().HasDatabaseName("ux_checkpoints_run_id_step");
            b.HasIndex("TenantId", "ThreadId", "Sequence").HasDatabaseName("ix_checkpoints_tenant_id_thread_id_sequence");
            b.ToTable("checkpoints", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Crons.Cron", b =>
        {
            b.Property<Guid>("CronId").HasColumnType("uuid").HasColumnName("cron_id");
            b.Property<Guid>("AssistantId").HasColumnType("uuid").HasColumnName("assistant_id");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<bool>("Enabled").HasColumnType("boolean").HasColumnName("enabled");
            b.Property<DateTimeOffset?>("EndTime").HasColumnType("timestamp with time zone").HasColumnName("end_time");
            b.Property<string>("Metadata").IsRequired().HasColumnType("jsonb").HasColumnName("metadata");
            b.Property<DateTimeOffset?>("NextRunDate").HasColumnType("timestamp with time zone").HasColumnName("next_run_date");
            b.Property<string>("OnRunCompleted").IsRequired().HasMaxLength(16).HasColumnType("character varying(16)").HasColumnName("on_run_completed");
            b.Property<string>("Payload").IsRequired().HasColumnType("jsonb").HasColumnName("payload");
            b.Property<string>("Schedule").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("schedule");
            b.Property<string>("TenantId").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.Property<Guid?>("ThreadId").HasColumnType("uuid").HasColumnName("thread_id");
            b.Property<string>("Timezone").IsRequired().HasMaxLength(100).HasColumnType("character varying(100)").HasColumnName("timezone");
            b.Property<DateTimeOffset>("UpdatedAt").HasColumnType("timestamp with time zone").HasColumnName("updated_at");
            b.HasKey("CronId");
            b.HasIndex("AssistantId");
            b.HasIndex("TenantId", "ThreadId");
            b.HasIndex("Enabled", "NextRunDate").HasDatabaseName("ix_crons_enabled_next_run_date");
            b.HasIndex("TenantId", "AssistantId").HasDatabaseName("ix_crons_tenant_id_assistant_id");
            b.ToTable("crons", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Documents.Chunk", b =>
        {
            b.Property<long>("ChunkId").ValueGeneratedOnAdd().HasColumnType("bigint").HasColumnName("chunk_id");
            NpgsqlPropertyBuilderExtensions.UseIdentityAlwaysColumn(b.Property<long>("ChunkId"));
            b.Property<string>("Content").IsRequired().HasColumnType("text").HasColumnName("content");
            b.Property<long>("DocumentId").HasColumnType("bigint").HasColumnName("document_id");
            b.Property<string>("Heading").IsRequired().HasColumnType("text").HasColumnName("heading");
            b.Property<int>("Ordinal").HasColumnType("integer").HasColumnName("ordinal");
            b.Property<NpgsqlTsVector>("SearchVector").IsRequired().ValueGeneratedOnAddOrUpdate().HasColumnType("tsvector")
                .HasColumnName("search_vector")
                .HasComputedColumnSql(
                    "setweight(to_tsvector('english'::regconfig, heading), 'A') || setweight(to_tsvector('english'::regconfig, content), 'B')",
                    true);
            b.HasKey("ChunkId");
            b.HasIndex("SearchVector").HasDatabaseName("ix_chunks_search_vector");
            NpgsqlIndexBuilderExtensions.HasMethod(b.HasIndex("SearchVector"), "GIN");
            b.HasIndex("DocumentId", "Ordinal").IsUnique().HasDatabaseName("ux_chunks_document_id_ordinal");
            b.ToTable("chunks", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Documents.Document", b =>
        {
            b.Property<long>("DocumentId").ValueGeneratedOnAdd().HasColumnType("bigint").HasColumnName("document_id");
            NpgsqlPropertyBuilderExtensions.UseIdentityAlwaysColumn(b.Property<long>("DocumentId"));
            b.Property<string>("ContentHash").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("content_hash");
            b.Property<DateTimeOffset>("IngestedAt").HasColumnType("timestamp with time zone").HasColumnName("ingested_at");
            b.Property<string>("Source").IsRequired().HasMaxLength(400).HasColumnType("character varying(400)").HasColumnName("source");
            b.Property<string>("Title").IsRequired().HasColumnType("text").HasColumnName("title");
            b.HasKey("DocumentId");
            b.HasIndex("Source").IsUnique().HasDatabaseName("ux_documents_source");
            b.ToTable("documents", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Leases.RunLease", b =>
        {
            b.Property<Guid>("RunId").HasColumnType("uuid").HasColumnName("run_id");
            b.Property<long>("Epoch").HasColumnType("bigint").HasColumnName("epoch");
            b.Property<int>("Attempt").HasColumnType("integer").HasColumnName("attempt");
            b.Property<DateTimeOffset>("ClaimedAt").HasColumnType("timestamp with time zone").HasColumnName("claimed_at");
            b.Property<string>("Owner").HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("owner");
            b.Property<string>("PreviousOwner").HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("previous_owner");
            b.Property<int>("StepCount").HasColumnType("integer").HasColumnName("step_count");
            b.Property<string>("TenantId").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.HasKey("RunId", "Epoch");
            b.ToTable("run_leases", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Workers.WorkerReport", b =>
        {
            b.Property<string>("InstanceId").HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("instance_id");
            b.Property<int>("BusySlots").HasColumnType("integer").HasColumnName("busy_slots");
            b.Property<bool>("Draining").HasColumnType("boolean").HasColumnName("draining");
            b.Property<string>("Host").IsRequired().HasMaxLength(255).HasColumnType("character varying(255)").HasColumnName("host");
            b.Property<int>("ProcessId").HasColumnType("integer").HasColumnName("process_id");
            b.Property<string>("Queue").IsRequired().HasMaxLength(255).HasColumnType("character varying(255)").HasColumnName("queue");
            b.Property<long?>("QueueConsumers").HasColumnType("bigint").HasColumnName("queue_consumers");
            b.Property<long?>("QueueDepth").HasColumnType("bigint").HasColumnName("queue_depth");
            b.Property<DateTimeOffset>("ReportedAt").HasColumnType("timestamp with time zone").HasColumnName("reported_at");
            b.Property<int>("Slots").HasColumnType("integer").HasColumnName("slots");
            b.Property<DateTimeOffset>("StartedAt").HasColumnType("timestamp with time zone").HasColumnName("started_at");
            b.HasKey("InstanceId");
            b.ToTable("worker_reports", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.RateLimits.ProviderRateLimit", b =>
        {
            b.Property<string>("Key").HasMaxLength(300).HasColumnType("character varying(300)").HasColumnName("key");
            b.Property<DateTimeOffset>("RequestsTat").HasColumnType("timestamp with time zone").HasColumnName("requests_tat");
            b.Property<DateTimeOffset>("TokensTat").HasColumnType("timestamp with time zone").HasColumnName("tokens_tat");
            b.HasKey("Key");
            b.ToTable("provider_rate_limits", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.RunEvents.RunEvent", b =>
        {
            b.Property<Guid>("RunId").HasColumnType("uuid").HasColumnName("run_id");
            b.Property<long>("Sequence").HasColumnType("bigint").HasColumnName("sequence");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("Data").IsRequired().HasColumnType("jsonb").HasColumnName("data");
            b.Property<string>("Kind").IsRequired().HasMaxLength(32).HasColumnType("character varying(32)").HasColumnName("kind");
            b.HasKey("RunId", "Sequence");
            b.ToTable("run_events", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Runs.AgentRun", b =>
        {
            b.Property<Guid>("RunId").HasColumnType("uuid").HasColumnName("run_id");
            b.Property<Guid>("AssistantId").HasColumnType("uuid").HasColumnName("assistant_id");
            b.Property<int>("Attempt").HasColumnType("integer").HasColumnName("attempt");
            b.Property<string>("CancelAction").HasMaxLength(32).HasColumnType("character varying(32)").HasColumnName("cancel_action");
            b.Property<decimal>("CostUsd").HasPrecision(18, 8).HasColumnType("numeric(18,8)").HasColumnName("cost_usd");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<bool>("DeleteThreadOnCompletion").HasColumnType("boolean").HasColumnName("delete_thread_on_completion");
            b.Property<DateTimeOffset?>("DispatchedAt").HasColumnType("timestamp with time zone").HasColumnName("dispatched_at");
            b.Property<DateTimeOffset?>("EndedAt").HasColumnType("timestamp with time zone").HasColumnName("ended_at");
            b.Property<string>("Error").HasColumnType("jsonb").HasColumnName("error");
            b.Property<string>("IdempotencyKey").HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("idempotency_key");
            b.Property<long>("InputTokens").HasColumnType("bigint").HasColumnName("input_tokens");
            b.Property<string>("Kwargs").IsRequired().HasColumnType("jsonb").HasColumnName("kwargs");
            b.Property<long>("LastEventSequence").HasColumnType("bigint").HasColumnName("last_event_sequence");
            b.Property<long>("LeaseEpoch").HasColumnType("bigint").HasColumnName("lease_epoch");
            b.Property<DateTimeOffset?>("LeaseExpiresAt").HasColumnType("timestamp with time zone").HasColumnName("lease_expires_at");
            b.Property<string>("LeaseOwner").HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("lease_owner");
            b.Property<string>("Metadata").IsRequired().HasColumnType("jsonb").HasColumnName("metadata");
            b.Property<string>("MultitaskStrategy").IsRequired().HasMaxLength(32).HasColumnType("character varying(32)").HasColumnName("multitask_strategy");
            b.Property<DateTimeOffset?>("NextAttemptAt").HasColumnType("timestamp with time zone").HasColumnName("next_attempt_at");
            b.Property<long>("OutputTokens").HasColumnType("bigint").HasColumnName("output_tokens");
            b.Property<int>("RecursionLimit").HasColumnType("integer").HasColumnName("recursion_limit");
            b.Property<int>("RetryCount").HasColumnType("integer").HasColumnName("retry_count");
            b.Property<DateTimeOffset?>("StartAfter").HasColumnType("timestamp with time zone").HasColumnName("start_after");
            b.Property<DateTimeOffset?>("StartedAt").HasColumnType("timestamp with time zone").HasColumnName("started_at");
            b.Property<string>("Status").IsRequired().HasMaxLength(32).HasColumnType("character varying(32)").HasColumnName("status");
            b.Property<int>("StepCount").HasColumnType("integer").HasColumnName("step_count");
            b.Property<string>("TenantId").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.Property<Guid>("ThreadId").HasColumnType("uuid").HasColumnName("thread_id");
            b.Property<DateTimeOffset>("UpdatedAt").HasColumnType("timestamp with time zone").HasColumnName("updated_at");
            b.HasKey("RunId");
            b.HasIndex("AssistantId").HasDatabaseName("ix_runs_assistant_id");
            b.HasIndex("TenantId", "IdempotencyKey").IsUnique().HasDatabaseName("ux_runs_tenant_id_idempotency_key").HasFilter("idempotency_key IS NOT NULL");
            b.HasIndex("Status", "LeaseExpiresAt").HasDatabaseName("ix_runs_status_lease_expires_at");
            b.HasIndex("TenantId").HasDatabaseName("ix_runs_tenant_id_unfinished").HasFilter("status IN ('pending', 'running')");
            b.HasIndex("TenantId", "ThreadId", "CreatedAt").HasDatabaseName("ix_runs_tenant_id_thread_id_created_at");
            b.ToTable("runs", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Usage.ModelCall", b =>
        {
            b.Property<Guid>("ModelCallId").HasColumnType("uuid").HasColumnName("model_call_id");
            b.Property<Guid>("AssistantId").HasColumnType("uuid").HasColumnName("assistant_id");
            b.Property<long?>("CachedInputTokens").HasColumnType("bigint").HasColumnName("cached_input_tokens");
            b.Property<decimal?>("CostUsd").HasPrecision(18, 8).HasColumnType("numeric(18,8)").HasColumnName("cost_usd");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("FinishReason").HasMaxLength(32).HasColumnType("character varying(32)").HasColumnName("finish_reason");
            b.Property<long>("InputTokens").HasColumnType("bigint").HasColumnName("input_tokens");
            b.Property<double>("LatencyMs").HasColumnType("double precision").HasColumnName("latency_ms");
            b.Property<string>("Model").IsRequired().HasMaxLength(200).HasColumnType("character varying(200)").HasColumnName("model");
            b.Property<long>("OutputTokens").HasColumnType("bigint").HasColumnName("output_tokens");
            b.Property<string>("Provider").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("provider");
            b.Property<Guid>("RunId").HasColumnType("uuid").HasColumnName("run_id");
            b.Property<int>("Step").HasColumnType("integer").HasColumnName("step");
            b.Property<string>("TenantId").HasColumnType("text").HasColumnName("tenant_id");
            b.Property<Guid>("ThreadId").HasColumnType("uuid").HasColumnName("thread_id");
            b.HasKey("ModelCallId");
            b.HasIndex("CreatedAt").HasDatabaseName("ix_model_calls_created_at");
            b.HasIndex("AssistantId", "CreatedAt").HasDatabaseName("ix_model_calls_assistant_id_created_at");
            b.HasIndex("RunId", "Step").IsUnique().HasDatabaseName("ux_model_calls_run_id_step");
            b.HasIndex("ThreadId", "CreatedAt").HasDatabaseName("ix_model_calls_thread_id_created_at");
            b.ToTable("model_calls", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Threads.AgentThread", b =>
        {
            b.Property<string>("TenantId").IsRequired().HasMaxLength(64).HasColumnType("character varying(64)").HasColumnName("tenant_id");
            b.Property<Guid>("ThreadId").HasColumnType("uuid").HasColumnName("thread_id");
            b.Property<DateTimeOffset>("CreatedAt").HasColumnType("timestamp with time zone").HasColumnName("created_at");
            b.Property<string>("Metadata").IsRequired().HasColumnType("jsonb").HasColumnName("metadata");
            b.Property<string>("Status").IsRequired().HasMaxLength(32).HasColumnType("character varying(32)").HasColumnName("status");
            b.Property<DateTimeOffset>("UpdatedAt").HasColumnType("timestamp with time zone").HasColumnName("updated_at");
            b.HasKey("TenantId", "ThreadId");
            b.ToTable("threads", "agent");
        });

        modelBuilder.Entity("Agent.Persistence.Assistants.AssistantVersion", b =>
        {
            b.HasOne("Agent.Persistence.Assistants.Assistant", null).WithMany().HasForeignKey("AssistantId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
        });

        modelBuilder.Entity("Agent.Persistence.Checkpoints.Checkpoint", b =>
        {
            b.HasOne("Agent.Persistence.Runs.AgentRun", null).WithMany().HasForeignKey("RunId")
                .OnDelete(DeleteBehavior.SetNull);
            b.HasOne("Agent.Persistence.Threads.AgentThread", null).WithMany().HasForeignKey("TenantId", "ThreadId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
        });

        modelBuilder.Entity("Agent.Persistence.Crons.Cron", b =>
        {
            b.HasOne("Agent.Persistence.Assistants.Assistant", null).WithMany().HasForeignKey("AssistantId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
            b.HasOne("Agent.Persistence.Threads.AgentThread", null).WithMany().HasForeignKey("TenantId", "ThreadId")
                .OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity("Agent.Persistence.Documents.Chunk", b =>
        {
            b.HasOne("Agent.Persistence.Documents.Document", "Document").WithMany("Chunks").HasForeignKey("DocumentId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
            b.Navigation("Document");
        });

        modelBuilder.Entity("Agent.Persistence.Leases.RunLease", b =>
        {
            b.HasOne("Agent.Persistence.Runs.AgentRun", null).WithMany().HasForeignKey("RunId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
        });

        modelBuilder.Entity("Agent.Persistence.RunEvents.RunEvent", b =>
        {
            b.HasOne("Agent.Persistence.Runs.AgentRun", null).WithMany().HasForeignKey("RunId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
        });

        modelBuilder.Entity("Agent.Persistence.Runs.AgentRun", b =>
        {
            b.HasOne("Agent.Persistence.Assistants.Assistant", null).WithMany().HasForeignKey("AssistantId")
                .OnDelete(DeleteBehavior.Restrict).IsRequired();
            b.HasOne("Agent.Persistence.Threads.AgentThread", null).WithMany().HasForeignKey("TenantId", "ThreadId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
        });

        modelBuilder.Entity("Agent.Persistence.Usage.ModelCall", b =>
        {
            b.HasOne("Agent.Persistence.Runs.AgentRun", null).WithMany().HasForeignKey("RunId")
                .OnDelete(DeleteBehavior.Cascade).IsRequired();
        });

        modelBuilder.Entity("Agent.Persistence.Documents.Document", b => b.Navigation("Chunks"));
    }
}
