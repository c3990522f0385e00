using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Workers;

/// <summary>
/// Writes a worker's self-report (table <c>agent.worker_reports</c>): one upsert per report, keyed by instance id.
/// </summary>
/// <param name="contextFactory">Creates unscoped contexts (worker reports belong to no tenant).</param>
public sealed class WorkerReportStore(IDbContextFactory<AgentDbContext> contextFactory)
{
    /// <summary>Inserts or replaces the worker's row.</summary>
    /// <param name="report">The report.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task completing when written.</returns>
    public async Task ReportAsync(WorkerReport report, CancellationToken cancellationToken)
    {
        await using var context = await contextFactory.CreateDbContextAsync(cancellationToken);
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.worker_reports (instance_id, host, process_id, slots, busy_slots, queue, queue_depth, queue_consumers,
                                              draining, started_at, reported_at)
            VALUES ({report.InstanceId}, {report.Host}, {report.ProcessId}, {report.Slots}, {report.BusySlots}, {report.Queue},
                    {report.QueueDepth}, {report.QueueConsumers}, {report.Draining}, {report.StartedAt}, {report.ReportedAt})
            ON CONFLICT (instance_id) DO UPDATE
               SET host = EXCLUDED.host, process_id = EXCLUDED.process_id, slots = EXCLUDED.slots, busy_slots = EXCLUDED.busy_slots,
                   queue = EXCLUDED.queue, queue_depth = EXCLUDED.queue_depth, queue_consumers = EXCLUDED.queue_consumers,
                   draining = EXCLUDED.draining, started_at = EXCLUDED.started_at, reported_at = EXCLUDED.reported_at
            """, cancellationToken);
    }
}
