using System.Text.Json.Nodes;

namespace Agent.Api.Store;

/// <summary>
/// LangGraph's <c>Item</c> (<c>langgraphjs:libs/sdk/src/schema.ts</c>), the answer of <c>GET /store/items</c>:
/// <c>{namespace, key, value, created_at, updated_at}</c>, serialized by <see cref="StoreJsonContext"/>.
/// </summary>
/// <param name="Namespace">The item's namespace.</param>
/// <param name="Key">The item's key.</param>
/// <param name="Value">The item's value.</param>
/// <param name="CreatedAt">When it was first put (UTC).</param>
/// <param name="UpdatedAt">When it was last put (UTC).</param>
internal sealed record StoreItemResource(IReadOnlyList<string> Namespace, string Key, JsonObject Value, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
