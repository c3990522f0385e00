using System.Text.Json.Nodes;
using System.Globalization;
using Agent.Persistence.Identifiers;
using Agent.Worker.Budgets;

namespace Agent.Worker.Runs;

/// <summary>
/// What the executor knows of the run it holds: its identity and epoch (the fence of every write), where it is
/// (the next step, the parent checkpoint, the last event sequence), what it spent, and how its attempt ended.
/// </summary>
/// <param name="runId">The run.</param>
/// <param name="tenantId">Its tenant.</param>
/// <param name="threadId">Its thread.</param>
/// <param name="epoch">The lease epoch of this claim.</param>
internal sealed class RunProgress(Guid runId, string tenantId, Guid threadId, long epoch)
{
    /// <summary>Gets the run.</summary>
    public Guid RunId { get; } = runId;

    /// <summary>Gets the run's tenant.</summary>
    public string TenantId { get; } = tenantId;

    /// <summary>Gets the run's thread.</summary>
    public Guid ThreadId { get; } = threadId;

    /// <summary>Gets the lease epoch of this claim.</summary>
    public long Epoch { get; } = epoch;

    /// <summary>Gets the run queue the run came from (null: the default one); a hand-back sends it there again.</summary>
    public string? Queue { get; init; }

    /// <summary>
    /// Gets or sets the run's own metadata (the run request's <c>metadata</c> object, <c>{}</c> when none), which
    /// every checkpoint the run writes carries, as LangGraph merges a run's metadata into its checkpoints' metadata.
    /// </summary>
    public JsonObject Metadata { get; set; } = [];

    /// <summary>Gets or sets the checkpoint the next step's checkpoint follows.</summary>
    public Guid? ParentCheckpointId { get; set; }

    /// <summary>Gets or sets the run's last committed event sequence.</summary>
    public long LastSequence { get; set; }

    /// <summary>
    /// Gets or sets the checkpoint namespace the next step is committed in: empty for the run's own graph,
    /// <c>node:task_id</c> (nested ones joined by <c>|</c>) while a node runs a subgraph (<see cref="SubgraphSteps"/>).
    /// </summary>
    public string CheckpointNs { get; set; } = string.Empty;

    /// <summary>
    /// Gets the key of the next step for ids derived from it (message ids): the step number, followed by a short hash of
    /// the namespace inside a subgraph, so a subgraph's step 1 and the run's own step 1 name different messages.
    /// </summary>
    public string StepKey => CheckpointNs.Length == 0
        ? NextStep.ToString(CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{NextStep}-{DeterministicGuid.Create(CheckpointNs).ToString("N")[..8]}");

    /// <summary>Gets or sets the number of the next step (0 is the input).</summary>
    public int NextStep { get; set; }

    /// <summary>Gets or sets the steps counted against the recursion limit.</summary>
    public int StepCount { get; set; }

    /// <summary>Gets or sets the tokens and cost spent so far.</summary>
    public RunSpend Spend { get; set; }

    /// <summary>Gets or sets how many retry waits the run has had.</summary>
    public int RetryCount { get; set; }

    /// <summary>Gets or sets whether another worker took the run over (a fenced commit wrote nothing).</summary>
    public bool Fenced { get; set; }

    /// <summary>Gets or sets whether the run reached a terminal status (or was rolled back).</summary>
    public bool Ended { get; set; }

    /// <summary>Gets or sets whether the run goes back to the queue (this worker is stopping).</summary>
    public bool HandBack { get; set; }
}
