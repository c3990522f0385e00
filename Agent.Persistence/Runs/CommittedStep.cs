using Agent.Persistence.RunEvents;

namespace Agent.Persistence.Runs;

/// <summary>
/// The result of a fenced step commit.
/// </summary>
/// <param name="Events">The events as committed, with their sequence numbers.</param>
/// <param name="CancelAction">The cancel action a client requested (<c>interrupt</c> or <c>rollback</c>), or null.</param>
public sealed record CommittedStep(IReadOnlyList<RunEvent> Events, string? CancelAction);
