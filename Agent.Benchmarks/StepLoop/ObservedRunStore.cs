using System.Diagnostics;
using Agent.Persistence;
using Agent.Persistence.Runs;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// The real <see cref="RunStore"/>, with each step commit timed into the <see cref="StepProbe"/>; with
/// <see cref="StepProbe.Persist"/> off, step commits are answered in memory and nothing is written (claims and
/// lease renewals still go to PostgreSQL: they happen once per run, not per step). The time the commit waited on
/// PostgreSQL comes from <see cref="DatabaseTimeInterceptor"/>.
/// </summary>
/// <param name="context">The database context.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="probe">The probe.</param>
internal sealed class ObservedRunStore(AgentDbContext context, TimeProvider timeProvider, StepProbe probe) : RunStore(context, timeProvider)
{
    /// <inheritdoc />
    public override async Task<CommittedStep?> CommitStepAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var database = DatabaseTimeInterceptor.Begin();
        var committed = probe.Persist
            ? await base.CommitStepAsync(commit, cancellationToken)
            : probe.Unpersisted(commit, DateTimeOffset.UtcNow);
        probe.Commit(commit, started, Stopwatch.GetTimestamp(), database.Milliseconds, database.RoundTrips);
        return committed;
    }
}
