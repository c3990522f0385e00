using System.Text.Json.Nodes;

namespace Agent.Persistence.Checkpoints;

/// <summary>
/// One interrupt a run paused on (LangGraph <c>Interrupt</c>), as stored in <see cref="Checkpoint.Interrupts"/>:
/// <c>{"id", "node", "when", "value"?}</c>.
/// </summary>
/// <param name="Id">The interrupt id: 32 lower-case hex digits, stable for the same checkpoint, node and position, so
/// a resume (<c>command.resume</c> as a map) names it.</param>
/// <param name="Node">The node that paused: the one about to run (<c>before</c>, <c>during</c>) or that just ran (<c>after</c>).</param>
/// <param name="When"><c>before</c> / <c>after</c> (a static interrupt: <c>interrupt_before</c> / <c>interrupt_after</c>)
/// or <c>during</c> (the node raised it, with <see cref="Value"/>).</param>
/// <param name="Value">The JSON value the node raised, or null for a static interrupt.</param>
/// <param name="Resume">
/// The value an earlier resume already gave it, when the node raised a further interrupt after this one on the same
/// resume (the node runs again from its start and gets this value back); null while it waits.
/// </param>
public sealed record PendingInterrupt(string Id, string Node, string When, JsonNode? Value, JsonNode? Resume = null)
{
    /// <summary><c>when</c> of an interrupt raised by the node while it ran.</summary>
    public const string During = "during";

    /// <summary><c>when</c> of an <c>interrupt_before</c> pause.</summary>
    public const string Before = "before";

    /// <summary><c>when</c> of an <c>interrupt_after</c> pause.</summary>
    public const string After = "after";

    /// <summary>Gets whether a client sees it as an interrupt value (only raised interrupts carry one; static pauses do not).</summary>
    public bool IsRaised => When == During;

    /// <summary>Gets whether it still waits for a resume value (raised, and not resolved by an earlier resume).</summary>
    public bool IsWaiting => IsRaised && Resume is null;

    /// <summary>Writes interrupts as the JSON array <see cref="Checkpoint.Interrupts"/> holds.</summary>
    /// <param name="interrupts">The interrupts.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(IEnumerable<PendingInterrupt> interrupts) =>
        new JsonArray([.. interrupts.Select(i => (JsonNode)new JsonObject
        {
            ["id"] = i.Id,
            ["node"] = i.Node,
            ["when"] = i.When,
            ["value"] = i.Value?.DeepClone(),
            ["resume"] = i.Resume?.DeepClone(),
        })]).ToJsonString();

    /// <summary>Reads <see cref="Checkpoint.Interrupts"/>; null or malformed text reads as none.</summary>
    /// <param name="json">The column's text.</param>
    /// <returns>The interrupts, in the order they were raised.</returns>
    public static IReadOnlyList<PendingInterrupt> Parse(string? json) =>
        json is null || JsonNode.Parse(json) is not JsonArray array
            ? []
            : [.. array.OfType<JsonObject>().Select(o => new PendingInterrupt(
                o["id"]?.GetValue<string>() ?? string.Empty,
                o["node"]?.GetValue<string>() ?? string.Empty,
                o["when"]?.GetValue<string>() ?? During,
                o["value"]?.DeepClone(),
                o["resume"]?.DeepClone()))];

    /// <summary>The client's view, <c>{"value", "id"}</c> (LangGraph <c>Interrupt</c>).</summary>
    /// <returns>The object.</returns>
    public JsonObject ToWire() => new() { ["value"] = Value?.DeepClone(), ["id"] = Id };
}
