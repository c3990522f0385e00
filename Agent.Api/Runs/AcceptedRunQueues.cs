using Agent.Contracts.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// The run queues a run may name in <c>config.configurable.queue</c> (<see cref="RunQueueName"/>): the names in the
/// API's <c>Messaging:Queues</c> setting (slot counts, if given, are ignored here), default <c>default</c> alone. An
/// operator who starts workers for a queue lists it here too, so a typo is a 422 rather than a run that waits on a
/// queue no worker consumes.
/// </summary>
/// <param name="Names">The accepted names.</param>
internal sealed record AcceptedRunQueues(IReadOnlyList<string> Names)
{
    /// <summary>Reads the setting.</summary>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The accepted queues.</returns>
    /// <exception cref="FormatException">The setting is malformed: the API does not start.</exception>
    public static AcceptedRunQueues From(IConfiguration configuration) =>
        new([.. RunQueueName.ParseSetting(configuration[RunQueueName.SettingKey], 1).Select(q => q.Name)]);
}
