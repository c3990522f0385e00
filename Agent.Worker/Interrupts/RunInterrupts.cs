using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Identifiers;

namespace Agent.Worker.Interrupts;

/// <summary>
/// A run's interrupt rules (LangGraph human-in-the-loop): the static breakpoints <c>interrupt_before</c> /
/// <c>interrupt_after</c>, the resume values of <c>command.resume</c> for the interrupts the thread paused on, and the
/// ids of interrupts raised by nodes (<see cref="Graphs.AgentNodeContext.Interrupt"/>).
/// </summary>
/// <remarks>
/// Breakpoints come from the run (<c>interrupt_before</c>, <c>interrupt_after</c>: <c>"*"</c> or node names), else
/// from its assistant's <c>config.configurable</c> under the same keys. A resume is matched as LangGraph matches it:
/// a map whose keys are pending interrupt ids gives each its value; any other value resumes the first interrupt still
/// waiting. A node that raised an interrupt runs again from its start on resume, and each <c>Interrupt</c> call, by
/// position, gets its value back.
/// </remarks>
internal sealed class RunInterrupts
{
    private readonly IReadOnlySet<string>? before;
    private readonly IReadOnlySet<string>? after;
    private readonly Dictionary<string, JsonNode?> resumed = new(StringComparer.Ordinal);
    private string? skipBefore;

    private RunInterrupts(IReadOnlySet<string>? before, IReadOnlySet<string>? after)
    {
        this.before = before;
        this.after = after;
    }

    /// <summary>Gets a run with no breakpoints and nothing to resume.</summary>
    public static RunInterrupts None => new(null, null);

    /// <summary>Gets the interrupts the thread paused on that this run resumes (carried into a further pause of the same node).</summary>
    public IReadOnlyList<PendingInterrupt> Resuming { get; private set; } = [];

    /// <summary>Reads a run's breakpoints and its resume.</summary>
    /// <param name="kwargs">The run's kwargs (<c>interrupt_before</c>, <c>interrupt_after</c>, <c>command</c>).</param>
    /// <param name="assistantConfig">The assistant's config (<c>configurable.interrupt_before</c> / <c>_after</c>).</param>
    /// <param name="paused">The interrupts the run's starting checkpoint holds (empty when it holds none, or the run resumes its own steps).</param>
    /// <returns>The rules.</returns>
    public static RunInterrupts Read(JsonObject kwargs, JsonNode? assistantConfig, IReadOnlyList<PendingInterrupt> paused)
    {
        var interrupts = new RunInterrupts(
            Nodes(kwargs["interrupt_before"] ?? assistantConfig?["configurable"]?["interrupt_before"]),
            Nodes(kwargs["interrupt_after"] ?? assistantConfig?["configurable"]?["interrupt_after"]));
        if (paused.Count == 0)
        {
            return interrupts;
        }

        interrupts.Resuming = paused;
        // The node the thread paused before runs now without pausing again (LangGraph resumes past the breakpoint).
        interrupts.skipBefore = paused.FirstOrDefault(p => p.When == PendingInterrupt.Before)?.Node;
        foreach (var earlier in paused.Where(p => p.Resume is not null))
        {
            interrupts.resumed[earlier.Id] = earlier.Resume;
        }

        if (kwargs["command"] is JsonObject command && command.ContainsKey("resume"))
        {
            var resume = command["resume"];
            var waiting = paused.Where(p => p.IsWaiting).ToList();
            if (resume is JsonObject map && map.Count > 0 && map.All(p => waiting.Any(w => w.Id == p.Key)))
            {
                foreach (var (id, value) in map)
                {
                    interrupts.resumed[id] = value?.DeepClone();
                }
            }
            else if (waiting.Count > 0)
            {
                interrupts.resumed[waiting[0].Id] = resume?.DeepClone();
            }
        }

        return interrupts;
    }

    /// <summary>
    /// The id of the <paramref name="index"/>-th interrupt a node raises: 32 hex digits. A node resumed from a pause
    /// gets the ids recorded at the pause back, in order (so a resume map finds them); otherwise the id derives from
    /// the checkpoint the node runs from, the node and the position.
    /// </summary>
    /// <param name="checkpointId">The checkpoint the node runs from (the run's head before the node), or null.</param>
    /// <param name="node">The node.</param>
    /// <param name="index">The position of the <c>Interrupt</c> call in the node's execution, from 0.</param>
    /// <returns>The id.</returns>
    public string Id(Guid? checkpointId, string node, int index)
    {
        var recorded = Resuming.Where(p => p.Node == node && p.IsRaised).ToList();
        return recorded.Count == 0 ? Hash($"{checkpointId}:{node}:{index}")
            : index < recorded.Count ? recorded[index].Id
            : Hash($"{recorded[0].Id}:{index}");
    }

    /// <summary>The id of a static pause before or after a node on a checkpoint.</summary>
    /// <param name="checkpointId">The checkpoint.</param>
    /// <param name="node">The node.</param>
    /// <param name="when"><see cref="PendingInterrupt.Before"/> or <see cref="PendingInterrupt.After"/>.</param>
    /// <returns>The id.</returns>
    public static string StaticId(Guid? checkpointId, string node, string when) => Hash($"{checkpointId}:{node}:{when}");

    /// <summary>A node's step committed: later executions in this run raise fresh interrupts, nothing is resumed any more.</summary>
    public void NodeCommitted()
    {
        Resuming = [];
        resumed.Clear();
        skipBefore = null;
    }

    private static string Hash(string name) => DeterministicGuid.Create("interrupt:" + name).ToString("N");

    /// <summary>Gets whether the run pauses before <paramref name="node"/> runs.</summary>
    /// <param name="node">The node about to run.</param>
    /// <returns>Whether to pause.</returns>
    public bool PausesBefore(string node)
    {
        if (skipBefore == node)
        {
            skipBefore = null;
            return false;
        }

        skipBefore = null;
        return Matches(before, node);
    }

    /// <summary>Gets whether the run pauses after <paramref name="node"/> (only when the graph goes on after it).</summary>
    /// <param name="node">The node that ran.</param>
    /// <param name="next">The node after it.</param>
    /// <returns>Whether to pause.</returns>
    public bool PausesAfter(string node, string next) => next != Graphs.AgentGraph.End && Matches(after, node);

    /// <summary>Finds the resume value of an interrupt.</summary>
    /// <param name="id">The interrupt id (<see cref="Id"/>).</param>
    /// <param name="value">The value the resume gave it.</param>
    /// <returns>Whether it was resumed.</returns>
    public bool TryResume(string id, out JsonNode? value)
    {
        var found = resumed.TryGetValue(id, out var stored);
        value = stored?.DeepClone();
        return found;
    }

    /// <summary>The interrupts to record when a node raises one more: those already resumed (with their values), then it.</summary>
    /// <param name="raised">The new interrupt.</param>
    /// <returns>The interrupts of the pause.</returns>
    public IReadOnlyList<PendingInterrupt> PauseWith(PendingInterrupt raised) =>
        [.. Resuming.Where(p => p.Node == raised.Node && p.IsRaised && resumed.ContainsKey(p.Id) && p.Id != raised.Id)
            .Select(p => p with { Resume = resumed[p.Id]?.DeepClone() }), raised];

    private static bool Matches(IReadOnlySet<string>? nodes, string node) => nodes is not null && (nodes.Contains("*") || nodes.Contains(node));

    private static HashSet<string>? Nodes(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var all) => [all],
        JsonArray list => [.. list.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var n) ? n : null).OfType<string>()],
        _ => null,
    };
}
