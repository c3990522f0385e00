namespace Agent.Api.Store;

/// <summary>The answer of <c>POST /store/namespaces</c>: <c>{"namespaces": [["a", "b"], ...]}</c> (the envelope the SDKs read).</summary>
/// <param name="Namespaces">The page of namespaces, in label order.</param>
internal sealed record StoreNamespacesResponse(IReadOnlyList<string[]> Namespaces);
