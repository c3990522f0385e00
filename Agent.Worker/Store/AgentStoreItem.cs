using System.Text.Json.Nodes;

namespace Agent.Worker.Store;

/// <summary>An item of the long-term memory store, as <see cref="IAgentStore"/> returns it (LangGraph's <c>Item</c>).</summary>
/// <param name="Namespace">The item's namespace.</param>
/// <param name="Key">The item's key.</param>
/// <param name="Value">The item's value.</param>
/// <param name="CreatedAt">When it was first put (UTC).</param>
/// <param name="UpdatedAt">When it was last put (UTC).</param>
/// <param name="Score">Its full-text rank when found by a search with a query (higher is better), else null.</param>
public sealed record AgentStoreItem(
    IReadOnlyList<string> Namespace, string Key, JsonObject Value, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, double? Score = null);
