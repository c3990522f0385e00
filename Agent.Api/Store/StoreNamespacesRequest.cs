using Agent.Api.Http;

namespace Agent.Api.Store;

/// <summary>
/// The body of <c>POST /store/namespaces</c> (LangGraph <c>StoreListNamespacesRequest</c>; the JS SDK's
/// <c>store.listNamespaces</c>).
/// </summary>
/// <param name="Prefix">Labels the namespaces must start with; <c>*</c> matches any one label. Default none.</param>
/// <param name="Suffix">Labels the namespaces must end with; <c>*</c> matches any one label. Default none.</param>
/// <param name="MaxDepth">Truncates the namespaces to this many labels, 1 to 32 (duplicates collapse). Default: whole.</param>
/// <param name="Limit">How many namespaces to return, 1 to 1,000. Default is 100.</param>
/// <param name="Offset">How many to skip, 0 or more. Default is 0.</param>
[WireClosed("{0} is not a field of POST /store/namespaces; its fields are {1}.")]
internal sealed record StoreNamespacesRequest(
    IReadOnlyList<string>? Prefix, IReadOnlyList<string>? Suffix, int? MaxDepth, int? Limit, int? Offset);
