using System.Collections.Concurrent;
using System.Diagnostics;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// What the in-process step-loop benchmark observes of each run, in <see cref="Stopwatch"/> ticks: every model or tool
/// call (start, end), every step commit and every event publish. The gap between the end of one call and the start of
/// the next is the runtime's own work for the step (build the checkpoint, commit it, publish its event, fold the state,
/// pick the next node): the per-step orchestration overhead.
/// </summary>
/// <remarks>
/// Also the switch that turns persistence off: with <see cref="Persist"/> false, <see cref="ObservedRunStore"/>
/// answers step commits from <see cref="Unpersisted"/> instead of PostgreSQL, so the same loop runs without its
/// checkpoint writes.
/// </remarks>
internal sealed class StepProbe
{
    private readonly ConcurrentDictionary<Guid, RunTimeline> runs = new();
    private readonly ConcurrentDictionary<Guid, long> publishStarts = new();
    private TaskCompletionSource allEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HashSet<Guid> batch = [];
    private int expectedRuns;
    private int endedRuns;

    /// <summary>Gets or sets a value indicating whether step commits reach PostgreSQL. Default is true.</summary>
    public bool Persist { get; set; } = true;

    /// <summary>Gets the batch's runs observed since the last <see cref="Reset"/>.</summary>
    public IReadOnlyCollection<RunTimeline> Runs => [.. runs.Values.Where(r => batch.Contains(r.RunId))];

    /// <summary>Converts a tick interval to milliseconds.</summary>
    /// <param name="start">The start, in <see cref="Stopwatch"/> ticks.</param>
    /// <param name="end">The end, in <see cref="Stopwatch"/> ticks.</param>
    /// <returns>The interval in ms.</returns>
    public static double Milliseconds(long start, long end) => (end - start) * 1000.0 / Stopwatch.Frequency;

    /// <summary>
    /// Forgets every run and expects a new batch. Only the batch's runs count: a run of an earlier batch that a sweeper
    /// sends again (its lease expired when that batch's worker stopped) is run, but neither reported nor waited for.
    /// </summary>
    /// <param name="runIds">The batch's runs; <see cref="WaitForRunsAsync"/> completes when they have all ended.</param>
    public void Reset(IReadOnlyCollection<Guid> runIds)
    {
        runs.Clear();
        publishStarts.Clear();
        batch = [.. runIds];
        expectedRuns = runIds.Count;
        endedRuns = 0;
        allEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Waits until every run of the batch has committed its terminal status.</summary>
    /// <param name="timeout">The deadline.</param>
    /// <returns>A task that completes when all runs have ended.</returns>
    /// <exception cref="TimeoutException">Some runs had not ended in time.</exception>
    public async Task WaitForRunsAsync(TimeSpan timeout)
    {
        try
        {
            await allEnded.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Volatile.Read(ref endedRuns)} of {expectedRuns} runs ended within {timeout}.");
        }
    }

    /// <summary>Records one model or tool call.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="kind"><c>model</c> or <c>tool</c>.</param>
    /// <param name="start">When the call started (ticks).</param>
    /// <param name="end">When it returned (ticks).</param>
    public void Action(Guid runId, string kind, long start, long end) => Timeline(runId).Add(new ProbeSpan(kind, start, end));

    /// <summary>Records one step commit (or, with persistence off, the call that stood in for it).</summary>
    /// <param name="commit">The commit.</param>
    /// <param name="start">When the commit started (ticks).</param>
    /// <param name="end">When it returned (ticks).</param>
    /// <param name="databaseMs">How long of it was spent waiting on PostgreSQL (ms).</param>
    /// <param name="roundTrips">How many round trips to PostgreSQL it made.</param>
    public void Commit(RunStepCommit commit, long start, long end, double databaseMs, int roundTrips)
    {
        var timeline = Timeline(commit.RunId);
        timeline.Add(new ProbeSpan(commit.FinalStatus is null ? "commit:" + commit.Checkpoint?.Node : "commit:final", start, end, databaseMs, roundTrips));
        if (commit.FinalStatus is { } status)
        {
            timeline.FinalStatus = status;
            if (batch.Contains(commit.RunId) && Interlocked.Increment(ref endedRuns) == expectedRuns)
            {
                allEnded.TrySetResult();
            }
        }
    }

    /// <summary>Records the start of an event publish.</summary>
    /// <param name="messageId">The bus message id.</param>
    public void PublishStarted(Guid messageId) => publishStarts[messageId] = Stopwatch.GetTimestamp();

    /// <summary>Records the end of an event publish (the broker confirmed it).</summary>
    /// <param name="messageId">The bus message id.</param>
    /// <param name="runId">The run the event belongs to.</param>
    public void PublishEnded(Guid messageId, Guid runId)
    {
        if (publishStarts.TryRemove(messageId, out var start))
        {
            Timeline(runId).Add(new ProbeSpan("publish", start, Stopwatch.GetTimestamp()));
        }
    }

    /// <summary>
    /// Stands in for a step commit with persistence off: numbers the events as PostgreSQL would (1, 2, 3 ... per run)
    /// and returns them, writing nothing.
    /// </summary>
    /// <param name="commit">The commit that is not written.</param>
    /// <param name="now">The commit time.</param>
    /// <returns>What <see cref="RunLifecycle.CommitStepAsync"/> would have returned.</returns>
    public CommittedStep Unpersisted(RunStepCommit commit, DateTimeOffset now)
    {
        var timeline = Timeline(commit.RunId);
        var events = commit.Events
            .Select(e => new RunEvent { RunId = commit.RunId, Sequence = ++timeline.LastSequence, Kind = e.Kind, Data = e.Data, CreatedAt = now })
            .ToList();
        return new CommittedStep(events, CancelAction: null);
    }

    private RunTimeline Timeline(Guid runId) => runs.GetOrAdd(runId, id => new RunTimeline(id));
}

/// <summary>One timed span of a run: a call, a commit or a publish.</summary>
/// <param name="Kind"><c>model</c>, <c>tool</c>, <c>commit:{node}</c>, <c>commit:final</c> or <c>publish</c>.</param>
/// <param name="Start">The start, in <see cref="Stopwatch"/> ticks.</param>
/// <param name="End">The end, in <see cref="Stopwatch"/> ticks.</param>
/// <param name="DatabaseMs">For a commit, the part spent waiting on PostgreSQL (ms); otherwise 0.</param>
/// <param name="RoundTrips">For a commit, the round trips to PostgreSQL it made; otherwise 0.</param>
internal sealed record ProbeSpan(string Kind, long Start, long End, double DatabaseMs = 0, int RoundTrips = 0)
{
    /// <summary>Gets a value indicating whether this span is a model or tool call.</summary>
    public bool IsCall => Kind is "model" or "tool";

    /// <summary>Gets a value indicating whether this span is a step commit (not the terminal status).</summary>
    public bool IsStepCommit => Kind.StartsWith("commit:", StringComparison.Ordinal) && Kind != "commit:final";
}

/// <summary>Everything <see cref="StepProbe"/> saw of one run.</summary>
/// <param name="runId">The run.</param>
internal sealed class RunTimeline(Guid runId)
{
    private readonly List<ProbeSpan> spans = [];

    /// <summary>Gets the run.</summary>
    public Guid RunId { get; } = runId;

    /// <summary>Gets or sets the terminal status committed, or null while the run has not ended.</summary>
    public AgentRunStatus? FinalStatus { get; set; }

    /// <summary>Gets or sets the last event sequence handed out with persistence off.</summary>
    public long LastSequence { get; set; }

    /// <summary>Gets the spans in start order (a snapshot).</summary>
    public IReadOnlyList<ProbeSpan> Spans
    {
        get
        {
            lock (spans)
            {
                return [.. spans.OrderBy(s => s.Start)];
            }
        }
    }

    /// <summary>Adds a span.</summary>
    /// <param name="span">The span.</param>
    public void Add(ProbeSpan span)
    {
        lock (spans)
        {
            spans.Add(span);
        }
    }
}
