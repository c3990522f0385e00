using System.Text;
using Agent.Persistence.Threads;
using Agent.Persistence.Wire;
using Npgsql;
using NpgsqlTypes;

namespace Agent.Persistence.Runs;

/// <summary>
/// Writes a whole <see cref="RunStepCommit"/> as one SQL statement, so a step costs one round trip to PostgreSQL: a
/// fenced <c>UPDATE agent.runs ... RETURNING</c> first, and every other write a data-modifying CTE that reads the
/// fenced row (<c>FROM run</c>), so nothing is written when the fence refuses. A single statement outside an explicit
/// transaction is atomic (autocommit), so the commit stays all-or-nothing, as the explicit transaction was.
/// </summary>
/// <remarks>
/// <para>
/// Only the CTEs a commit needs are in its text (checkpoint, model call, pause, thread status), so the statement
/// comes in a handful of shapes. Parameters are typed, so a null is never left for PostgreSQL to infer.
/// </para>
/// <para>
/// A step that keeps the run leaves <c>lease_expires_at</c>, <c>status</c> and every other indexed column of
/// <c>agent.runs</c> as they are: the update is then HOT-eligible (no index entries, PostgreSQL docs, "Heap-Only
/// Tuples"). The lease is renewed by the worker's heartbeat (every third of its length), not by step commits.
/// </para>
/// <para>
/// All sub-statements see one snapshot (PostgreSQL docs 7.8.4, "Data-Modifying Statements in WITH"): the thread-status
/// CTE's look for another queued run of the thread sees the run as it was (<c>running</c>), which is what it needs.
/// </para>
/// </remarks>
internal static class StepCommitStatement
{
    private const string Run = """
        WITH run AS (
            UPDATE agent.runs
               SET step_count = step_count + @steps_added,
                   input_tokens = input_tokens + @input_tokens,
                   output_tokens = output_tokens + @output_tokens,
                   cost_usd = cost_usd + @cost_usd,
                   last_event_sequence = last_event_sequence + @event_count,
                   lease_expires_at = CASE WHEN @keeps_lease THEN lease_expires_at END,
                   lease_owner = CASE WHEN @keeps_lease THEN lease_owner END,
                   status = COALESCE(@final_status, CASE WHEN @retry_at IS NULL THEN status ELSE 'pending' END),
                   next_attempt_at = @retry_at,
                   retry_count = retry_count + CASE WHEN @retry_at IS NULL THEN 0 ELSE 1 END,
                   error = CASE WHEN @keeps_lease THEN error ELSE @error END,
                   ended_at = COALESCE(@ended_at, ended_at),
                   updated_at = @now
             WHERE run_id = @run_id AND lease_epoch = @epoch AND status = 'running'
            RETURNING run_id, tenant_id, thread_id, assistant_id, last_event_sequence, cancel_action
        ),
        events AS (
            INSERT INTO agent.run_events (run_id, sequence, kind, data, created_at)
            SELECT run.run_id, run.last_event_sequence - @event_count + e.n, e.kind, e.data::jsonb, @now
              FROM run, unnest(@event_kinds, @event_data) WITH ORDINALITY AS e(kind, data, n)
        )
        """;

    private const string Checkpoint = """
        ,
        checkpoint AS (
            INSERT INTO agent.checkpoints (checkpoint_id, tenant_id, thread_id, run_id, parent_checkpoint_id, step, node, delta,
                                           metadata, next, interrupts, created_at)
            SELECT @checkpoint_id, @checkpoint_tenant_id, @checkpoint_thread_id, @checkpoint_run_id, @parent_checkpoint_id,
                   @checkpoint_step, @checkpoint_node, @checkpoint_delta, @checkpoint_metadata, @checkpoint_next,
                   @checkpoint_interrupts, @now
              FROM run
        )
        """;

    // Thread and assistant are copied from the run row (so usage groups by them without joins, and the caller cannot
    // get them wrong).
    private const string ModelCall = """
        ,
        model_call AS (
            INSERT INTO agent.model_calls (model_call_id, run_id, step, thread_id, assistant_id, tenant_id, provider, model,
                                           input_tokens, output_tokens, cached_input_tokens, latency_ms, finish_reason,
                                           cost_usd, created_at)
            SELECT @model_call_id, run.run_id, @model_call_step, run.thread_id, run.assistant_id, run.tenant_id, @provider,
                   @model, @call_input_tokens, @call_output_tokens, @cached_input_tokens, @latency_ms, @finish_reason,
                   @call_cost_usd, @now
              FROM run
        )
        """;

    private const string Pause = """
        ,
        paused AS (
            UPDATE agent.checkpoints c
               SET interrupts = @interrupts
              FROM run
             WHERE c.thread_id = run.thread_id AND c.checkpoint_id = @paused_at
        )
        """;

    // A queued run of the same thread keeps it busy.
    private const string Thread = """
        ,
        thread AS (
            UPDATE agent.threads t
               SET status = CASE WHEN EXISTS (SELECT 1 FROM agent.runs o
                                               WHERE o.tenant_id = t.tenant_id AND o.thread_id = t.thread_id
                                                 AND o.status = 'pending')
                                 THEN @busy ELSE @thread_status END,
                   updated_at = @now
              FROM run
             WHERE t.tenant_id = run.tenant_id AND t.thread_id = run.thread_id
        )
        """;

    private const string Result = """

        SELECT last_event_sequence AS "LastSequence", cancel_action AS "CancelAction" FROM run
        """;

    /// <summary>Builds the statement and its parameters for one commit.</summary>
    /// <param name="commit">What to write.</param>
    /// <param name="now">The commit time: <c>created_at</c> of every row written, <c>updated_at</c> of the run.</param>
    /// <returns>The SQL text (one statement) and its parameters.</returns>
    public static (string Sql, NpgsqlParameter[] Parameters) Build(RunStepCommit commit, DateTimeOffset now)
    {
        var final = commit.FinalStatus is { } finalStatus ? WireName.Of(finalStatus) : null;
        var retryAt = final is null ? commit.RetryAt : null;
        // A step keeps the run (its lease is the heartbeat's to renew); an end or a retry wait gives it up.
        var keepsLease = final is null && retryAt is null;
        var sql = new StringBuilder(Run);
        var parameters = new List<NpgsqlParameter>
        {
            Typed("run_id", NpgsqlDbType.Uuid, commit.RunId),
            Typed("epoch", NpgsqlDbType.Bigint, commit.Epoch),
            Typed("steps_added", NpgsqlDbType.Integer, commit.StepsAdded),
            Typed("input_tokens", NpgsqlDbType.Bigint, commit.InputTokens),
            Typed("output_tokens", NpgsqlDbType.Bigint, commit.OutputTokens),
            Typed("cost_usd", NpgsqlDbType.Numeric, commit.CostUsd),
            Typed("event_count", NpgsqlDbType.Bigint, (long)commit.Events.Count),
            Typed("keeps_lease", NpgsqlDbType.Boolean, keepsLease),
            Typed("final_status", NpgsqlDbType.Text, final),
            Typed("retry_at", NpgsqlDbType.TimestampTz, retryAt),
            Typed("error", NpgsqlDbType.Jsonb, commit.Error),
            Typed("ended_at", NpgsqlDbType.TimestampTz, final is null ? null : now),
            Typed("now", NpgsqlDbType.TimestampTz, now),
            Typed("event_kinds", NpgsqlDbType.Array | NpgsqlDbType.Text, commit.Events.Select(e => e.Kind).ToArray()),
            Typed("event_data", NpgsqlDbType.Array | NpgsqlDbType.Text, commit.Events.Select(e => e.Data).ToArray()),
        };

        if (commit.Checkpoint is { } checkpoint)
        {
            sql.Append(Checkpoint);
            parameters.AddRange(
            [
                Typed("checkpoint_id", NpgsqlDbType.Uuid, checkpoint.CheckpointId),
                Typed("checkpoint_tenant_id", NpgsqlDbType.Text, checkpoint.TenantId),
                Typed("checkpoint_thread_id", NpgsqlDbType.Uuid, checkpoint.ThreadId),
                Typed("checkpoint_run_id", NpgsqlDbType.Uuid, checkpoint.RunId),
                Typed("parent_checkpoint_id", NpgsqlDbType.Uuid, checkpoint.ParentCheckpointId),
                Typed("checkpoint_step", NpgsqlDbType.Integer, checkpoint.Step),
                Typed("checkpoint_node", NpgsqlDbType.Text, checkpoint.Node),
                Typed("checkpoint_delta", NpgsqlDbType.Jsonb, checkpoint.Delta),
                Typed("checkpoint_metadata", NpgsqlDbType.Jsonb, checkpoint.Metadata),
                Typed("checkpoint_next", NpgsqlDbType.Array | NpgsqlDbType.Text, checkpoint.Next),
                Typed("checkpoint_interrupts", NpgsqlDbType.Jsonb, checkpoint.Interrupts),
            ]);
        }

        if (commit.ModelCall is { } call)
        {
            sql.Append(ModelCall);
            parameters.AddRange(
            [
                Typed("model_call_id", NpgsqlDbType.Uuid, Guid.CreateVersion7(now)),
                Typed("model_call_step", NpgsqlDbType.Integer, call.Step),
                Typed("provider", NpgsqlDbType.Text, call.Provider),
                Typed("model", NpgsqlDbType.Text, call.Model),
                Typed("call_input_tokens", NpgsqlDbType.Bigint, call.InputTokens),
                Typed("call_output_tokens", NpgsqlDbType.Bigint, call.OutputTokens),
                Typed("cached_input_tokens", NpgsqlDbType.Bigint, call.CachedInputTokens),
                Typed("latency_ms", NpgsqlDbType.Double, call.LatencyMs),
                Typed("finish_reason", NpgsqlDbType.Text, call.FinishReason),
                Typed("call_cost_usd", NpgsqlDbType.Numeric, call.CostUsd),
            ]);
        }

        if (commit is { Interrupts: { } interrupts, PausedAt: { } pausedAt })
        {
            sql.Append(Pause);
            parameters.AddRange(
            [
                Typed("interrupts", NpgsqlDbType.Jsonb, interrupts),
                Typed("paused_at", NpgsqlDbType.Uuid, pausedAt),
            ]);
        }

        if (commit.FinalThreadStatus is { } threadStatus)
        {
            sql.Append(Thread);
            parameters.AddRange(
            [
                Typed("busy", NpgsqlDbType.Text, WireName.Of(AgentThreadStatus.Busy)),
                Typed("thread_status", NpgsqlDbType.Text, WireName.Of(threadStatus)),
            ]);
        }

        sql.Append(Result);
        return (sql.ToString(), [.. parameters]);
    }

    private static NpgsqlParameter Typed(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };
}
