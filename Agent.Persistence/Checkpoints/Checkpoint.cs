namespace Agent.Persistence.Checkpoints;

/// <summary>
/// Represents one committed step of a run (table <c>agent.checkpoints</c>): only the messages that step added,
/// never the whole state, so a thread's storage grows linearly with its length.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>
    /// Gets or sets the checkpoint id (LangGraph <c>checkpoint_id</c>), unique within its thread: a thread's copy keeps
    /// the ids of the checkpoints it copies.
    /// </summary>
    public Guid CheckpointId { get; set; }

    /// <summary>Gets or sets the database-assigned position in the thread; the fold order of the thread's state.</summary>
    public long Sequence { get; set; }

    /// <summary>Gets or sets the thread id.</summary>
    public Guid ThreadId { get; set; }

    /// <summary>Gets or sets the tenant that owns the checkpoint (the tenant of its thread and run).</summary>
    public string TenantId { get; set; } = "";

    /// <summary>
    /// Gets or sets the run that wrote the checkpoint, or null for a state update (<c>POST /threads/{id}/state</c>),
    /// a thread copy, or a run deleted since (the checkpoint stays part of the thread's state).
    /// </summary>
    public Guid? RunId { get; set; }

    /// <summary>
    /// Gets or sets the checkpoint namespace (LangGraph <c>checkpoint_ns</c>): empty for the thread's own graph, and
    /// <c>node:task_id</c> (nested ones joined by <c>|</c>) for a step of a subgraph a node of it ran. Default is empty.
    /// The context reads only the root namespace unless a query ignores its filters (<c>IgnoreQueryFilters</c>).
    /// </summary>
    public string CheckpointNs { get; set; } = "";

    /// <summary>Gets or sets the previous checkpoint of the thread (of the namespace), or null for the first one.</summary>
    public Guid? ParentCheckpointId { get; set; }

    /// <summary>
    /// Gets or sets the step index within the run (unique per run): -1 is the run's input checkpoint (the values before
    /// its input), 0 the input applied, then 1, 2 ...
    /// </summary>
    public int Step { get; set; }

    /// <summary>
    /// Gets or sets the node that ran: <c>__input__</c> (the input checkpoint, nothing ran), <c>__start__</c> (input
    /// applied), or a node of the graph (<c>agent</c>, <c>tools</c> ...).
    /// </summary>
    public required string Node { get; set; }

    /// <summary>Gets or sets the step's delta as JSON (<c>{"messages": [...]}</c>, LangChain message form).</summary>
    public string Delta { get; set; } = "{}";

    /// <summary>Gets or sets the LangGraph checkpoint metadata as JSON (<c>source</c>, <c>step</c>, <c>run_id</c> ...).</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>
    /// Gets or sets the nodes the graph runs next from this checkpoint (LangGraph <c>StateSnapshot.next</c>), as the
    /// worker routed them when it committed the step: one node, or empty when the graph ends here. Null where nobody
    /// routed (state updates, copies, checkpoints written before this column): readers then infer it.
    /// </summary>
    public string[]? Next { get; set; }

    /// <summary>
    /// Gets or sets the interrupts a run paused on at this checkpoint, as a JSON array (<see cref="PendingInterrupt"/>:
    /// <c>[{"id", "node", "when": "before"|"after"|"during", "value"?}]</c>), or null when no run paused here. Written
    /// when the run pauses; the checkpoint's other columns never change.
    /// </summary>
    public string? Interrupts { get; set; }

    /// <summary>Gets or sets the commit time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
