using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Store;

/// <summary>
/// The body of <c>POST /store/items/search</c> (LangGraph <c>StoreSearchRequest</c>; the JS SDK's
/// <c>store.searchItems</c>).
/// </summary>
/// <param name="NamespacePrefix">The namespace prefix of the items; null or <c>[]</c> (default) for every namespace.</param>
/// <param name="Filter">Top-level fields of the value that must be exactly equal, e.g. <c>{"author": "ann"}</c>; null for none.</param>
/// <param name="Limit">How many items to return, 1 to 1,000. Default is 10.</param>
/// <param name="Offset">How many to skip, 0 or more. Default is 0.</param>
/// <param name="Query">Words to find by PostgreSQL full-text search (English, <c>websearch_to_tsquery</c> syntax), at most 1,000 characters; items are then ranked and carry <c>score</c>.</param>
/// <param name="RefreshTtl">Whether the returned items' time to live starts again. Default is true (LangGraph's <c>refresh_on_read</c>).</param>
[WireClosed("{0} is not a field of POST /store/items/search; its fields are {1}.")]
internal sealed record StoreSearchRequest(
    IReadOnlyList<string>? NamespacePrefix, JsonObject? Filter, int? Limit, int? Offset, string? Query, bool? RefreshTtl);
