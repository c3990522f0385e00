using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Agent.Contracts.Runs;

/// <summary>
/// Named run queues (issue 15: heavy and light runs apart). A run picks one with <c>config.configurable.queue</c>
/// (the run's, else its assistant's; absent is <see cref="Default"/>); a worker consumes the queues named in its
/// <c>Messaging:Queues</c> setting, each with its own slot count, so a burst of long research runs on one queue
/// cannot take the slots of quick questions on another. The API accepts only the names in its own
/// <c>Messaging:Queues</c>. On the broker the default queue is the run queue itself (<c>agent-runs</c>, or
/// <c>Messaging:RunQueue</c>) and a named one is <c>{run queue}.{name}</c>.
/// </summary>
public static partial class RunQueueName
{
    /// <summary>The queue a run goes to when nothing names one: <c>default</c>.</summary>
    public const string Default = "default";

    /// <summary>The key inside <c>config.configurable</c>: <c>queue</c>.</summary>
    public const string ConfigKey = "queue";

    /// <summary>
    /// The setting that lists queues (environment <c>Messaging__Queues</c>): for a worker, the queues it consumes as
    /// <c>name[:slots]</c>, comma-separated (e.g. <c>default:4,heavy:1</c>; a name without slots gets
    /// <c>AgentWorker:Slots</c>); for the API, the names a run or assistant may pick. Default <c>default</c>.
    /// </summary>
    public const string SettingKey = "Messaging:Queues";

    /// <summary>The longest queue name: 32 characters.</summary>
    public const int MaxLength = 32;

    /// <summary>Checks a queue name: 1 to 32 of <c>a-z 0-9 _ -</c>, starting with a letter or digit.</summary>
    /// <param name="name">The name.</param>
    /// <returns>Null when valid, else why not.</returns>
    public static string? Check(string name) =>
        NamePattern().IsMatch(name)
            ? null
            : $"a queue name is 1 to {MaxLength} lowercase letters, digits, '_' or '-', starting with a letter or digit";

    /// <summary>Reads <c>configurable.queue</c> of a <c>config</c> object, unchecked.</summary>
    /// <param name="config">A run's or an assistant's <c>config</c>, or null.</param>
    /// <returns>The name, or null when absent or not a string.</returns>
    public static string? FromConfig(JsonNode? config) =>
        config is JsonObject o && o["configurable"] is JsonObject configurable
            && configurable[ConfigKey] is JsonValue value && value.TryGetValue<string>(out var name) ? name : null;

    /// <summary>The queue a run goes to: its own <c>configurable.queue</c>, else its assistant's.</summary>
    /// <param name="runConfig">The run's <c>config</c>, or null.</param>
    /// <param name="assistantConfig">The assistant's <c>config</c>, or null.</param>
    /// <returns>The queue's name, or null for <see cref="Default"/>.</returns>
    public static string? Resolve(JsonNode? runConfig, JsonNode? assistantConfig) =>
        (FromConfig(runConfig) ?? FromConfig(assistantConfig)) is { } name && name != Default ? name : null;

    /// <summary>
    /// Checks <c>configurable.queue</c>: absent, or the name of a queue in <paramref name="known"/>.
    /// </summary>
    /// <param name="configurable">The <c>configurable</c> object.</param>
    /// <param name="known">The queues the API accepts (its <see cref="SettingKey"/>).</param>
    /// <returns>Null when valid, else a 422 detail naming the field.</returns>
    public static string? ConfigError(JsonObject configurable, IReadOnlyCollection<string> known)
    {
        ArgumentNullException.ThrowIfNull(configurable);
        ArgumentNullException.ThrowIfNull(known);
        if (!configurable.TryGetPropertyValue(ConfigKey, out var node) || node is null)
        {
            return null;
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out var name))
        {
            return "config.configurable.queue must be a string (a run queue's name).";
        }

        if (Check(name) is { } error)
        {
            return $"config.configurable.queue: {error}.";
        }

        return known.Contains(name)
            ? null
            : $"config.configurable.queue names an unknown queue '{name}'; queues: {string.Join(", ", known)}.";
    }

    /// <summary>The broker queue of a run queue.</summary>
    /// <param name="runQueue">The run queue (<c>Messaging:RunQueue</c>, default <c>agent-runs</c>).</param>
    /// <param name="name">The queue's name, or null for <see cref="Default"/>.</param>
    /// <returns><paramref name="runQueue"/> for the default queue, else <c>{runQueue}.{name}</c>.</returns>
    public static string Address(string runQueue, string? name) =>
        name is null or Default ? runQueue : $"{runQueue}.{name}";

    /// <summary>
    /// Parses a <see cref="SettingKey"/> value: comma-separated <c>name[:slots]</c>.
    /// </summary>
    /// <param name="setting">The value, or null for <see cref="Default"/>.</param>
    /// <param name="defaultSlots">The slots of a name given without a count.</param>
    /// <returns>The queues and their slot counts, in order.</returns>
    /// <exception cref="FormatException">A name is invalid, a count is not a positive integer, or a name repeats.</exception>
    public static IReadOnlyList<(string Name, int Slots)> ParseSetting(string? setting, int defaultSlots)
    {
        var queues = new List<(string Name, int Slots)>();
        foreach (var entry in (string.IsNullOrWhiteSpace(setting) ? Default : setting).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(':', 2, StringSplitOptions.TrimEntries);
            if (Check(parts[0]) is { } error)
            {
                throw new FormatException($"{SettingKey}: '{entry}': {error}.");
            }

            var slots = defaultSlots;
            if (parts.Length == 2 && (!int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out slots) || slots < 1))
            {
                throw new FormatException($"{SettingKey}: '{entry}': the slot count must be a positive integer.");
            }

            if (queues.Any(q => q.Name == parts[0]))
            {
                throw new FormatException($"{SettingKey}: the queue '{parts[0]}' is named twice.");
            }

            queues.Add((parts[0], slots));
        }

        return queues.Count == 0 ? [(Default, defaultSlots)] : queues;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$")]
    private static partial Regex NamePattern();
}
