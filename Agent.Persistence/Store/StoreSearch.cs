using System.Text.Json.Nodes;

namespace Agent.Persistence.Store;

/// <summary>
/// A search of the store's items (LangGraph <c>POST /store/items/search</c>, <c>BaseStore.search</c>).
/// </summary>
/// <param name="NamespacePrefix">The namespace prefix the items must start with; empty for every namespace.</param>
/// <param name="Filter">
/// Fields the value must have, each exactly equal (JSON equality of the top-level field); null for none.
/// </param>
/// <param name="Query">
/// Words to find, in <c>websearch_to_tsquery</c> syntax (quotes, <c>or</c>, <c>-</c>), English stemming; only items
/// whose search text matches are returned, best <c>ts_rank</c> first. Null returns items newest first.
/// </param>
/// <param name="Limit">How many items to return.</param>
/// <param name="Offset">How many to skip.</param>
/// <param name="RefreshTtl">Whether the returned items' time to live starts again.</param>
public sealed record StoreSearch(
    IReadOnlyList<string> NamespacePrefix, JsonObject? Filter, string? Query, int Limit, int Offset, bool RefreshTtl);
