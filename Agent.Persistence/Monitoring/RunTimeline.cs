using Agent.Persistence.Leases;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Usage;

namespace Agent.Persistence.Monitoring;

/// <summary>
/// Everything the console's run page shows: the run, each claim (lease epoch), each stored event (steps with their
/// message deltas, model-call usage and tool calls; status changes with errors) and each model call with its cost.
/// </summary>
/// <param name="Run">The run.</param>
/// <param name="Leases">Its claims, oldest first: epoch 2 and later are takeovers (a crash recovery or a resume).</param>
/// <param name="Events">Its event log in sequence order.</param>
/// <param name="ModelCalls">Its model calls in step order.</param>
public sealed record RunTimeline(RunSummary Run, IReadOnlyList<RunLease> Leases, IReadOnlyList<RunEvent> Events, IReadOnlyList<ModelCall> ModelCalls);
