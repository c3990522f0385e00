namespace Agent.Api.Store;

/// <summary>The answer of <c>POST /store/items/search</c>: <c>{"items": [...]}</c> (the envelope the SDKs read).</summary>
/// <param name="Items">The page of items.</param>
internal sealed record StoreSearchResponse(IReadOnlyList<StoreSearchItemResource> Items);
