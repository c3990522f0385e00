using Agent.Api.Http;

namespace Agent.Api.Store;

/// <summary>
/// The body of <c>DELETE /store/items</c> (LangGraph <c>StoreDeleteRequest</c>): <c>{"namespace": [...], "key": "..."}</c>.
/// </summary>
/// <param name="Namespace">The item's namespace. Required.</param>
/// <param name="Key">The item's key. Required.</param>
[WireClosed("{0} is not a field of DELETE /store/items; its fields are {1}.")]
internal sealed record StoreDeleteRequest(IReadOnlyList<string>? Namespace, string? Key);
