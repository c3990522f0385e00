using Agent.Persistence.Checkpoints;

namespace Agent.Persistence.Threads;

/// <summary>The outcome of a state update by hand (<c>POST /threads/{id}/state</c>): the new checkpoint, or why none was written.</summary>
/// <param name="Checkpoint">The checkpoint written, or null.</param>
/// <param name="Busy">True when a run of the thread is pending or running (nothing was written).</param>
/// <param name="ParentMissing">True when the checkpoint to fork from is not on the thread (nothing was written).</param>
public sealed record ThreadStateUpdate(Checkpoint? Checkpoint, bool Busy, bool ParentMissing);
