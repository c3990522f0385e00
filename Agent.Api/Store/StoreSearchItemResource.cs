using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Agent.Api.Store;

/// <summary>
/// LangGraph's <c>SearchItem</c>: an <see cref="StoreItemResource"/> plus <c>score</c> when the search had a
/// <c>query</c> (its PostgreSQL <c>ts_rank</c>, higher is better; absent otherwise).
/// </summary>
/// <param name="Namespace">The item's namespace.</param>
/// <param name="Key">The item's key.</param>
/// <param name="Value">The item's value.</param>
/// <param name="CreatedAt">When it was first put (UTC).</param>
/// <param name="UpdatedAt">When it was last put (UTC).</param>
/// <param name="Score">The rank for the query, or null (not written) without one.</param>
internal sealed record StoreSearchItemResource(
    IReadOnlyList<string> Namespace, string Key, JsonObject Value, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Score);
