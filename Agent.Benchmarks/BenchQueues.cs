using Agent.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Agent.Benchmarks;

/// <summary>
/// Removes a benchmark's run queue (and the exchange MassTransit binds to it) from the shared RabbitMQ when the
/// benchmark ends, so thousands of runs leave nothing behind on a broker other work uses.
/// </summary>
internal static class BenchQueues
{
    /// <summary>Deletes the queue and its same-named exchange, if they exist.</summary>
    /// <param name="queue">The queue's name.</param>
    /// <returns>A task that completes when both are gone.</returns>
    public static async Task DeleteAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue);
        await channel.ExchangeDeleteAsync(queue);
    }
}
