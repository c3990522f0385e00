namespace Agent.Api.Store;

/// <summary>
/// The body of <c>DELETE /store/items</c> (LangGraph <c>StoreDeleteRequest</c>): <c>{"namespace": [...], "key": "..."}</c>.
/// </summary>
/// <param name="Namespace">The item's namespace. Required.</param>
/// <param name="Key">The item's key. Required.</param>
internal sealed record StoreDeleteRequest(IReadOnlyList<string>? Namespace, string? Key);
