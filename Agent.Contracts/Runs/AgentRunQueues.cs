namespace Agent.Contracts.Runs;

/// <summary>
/// Names the RabbitMQ queues that are part of the wire contract.
/// </summary>
public static class AgentRunQueues
{
    /// <summary>
    /// The durable queue of <see cref="StartAgentRun"/> commands, consumed by the worker pool. The API sends to it
    /// directly (<c>queue:agent-runs</c>) so a command is kept even before any worker has bound an exchange.
    /// </summary>
    public const string Runs = "agent-runs";

    /// <summary>
    /// The configuration key that renames the run queue (environment <c>Messaging__RunQueue</c>), read by the API and
    /// the workers alike; isolated systems on one broker (tests, staging) use different names.
    /// </summary>
    public const string RunsSettingKey = "Messaging:RunQueue";
}
