using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;

namespace Agent.Worker.Runs;

/// <summary>
/// Folds the values of the channels other than <c>messages</c> from checkpoints: each checkpoint's delta
/// (<c>{"messages": [...], "channel": value, ...}</c>) holds the new value of every channel its step wrote (already
/// reduced), so the fold keeps the last value of each.
/// </summary>
internal static class ChannelValues
{
    /// <summary>The messages channel, <c>messages</c> (<c>AgentGraph.Messages</c>), folded by CheckpointFold instead.</summary>
    public const string MessagesChannel = "messages";

    /// <summary>Folds a branch's checkpoints, root first, into the channels' values.</summary>
    /// <param name="lineage">The checkpoints in fold order.</param>
    /// <returns>The values by channel name.</returns>
    public static JsonObject Fold(IEnumerable<Checkpoint> lineage)
    {
        var values = new JsonObject();
        foreach (var checkpoint in lineage)
        {
            if (JsonNode.Parse(checkpoint.Delta) is JsonObject delta)
            {
                Apply(values, delta);
            }
        }

        return values;
    }

    /// <summary>Applies a step's written values (keys other than <c>messages</c> are channels) in place.</summary>
    /// <param name="values">The values so far.</param>
    /// <param name="written">The step's values, or null.</param>
    public static void Apply(JsonObject values, JsonObject? written)
    {
        foreach (var (channel, value) in written ?? [])
        {
            if (channel != MessagesChannel)
            {
                values[channel] = value?.DeepClone();
            }
        }
    }
}
