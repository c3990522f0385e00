namespace Agent.Persistence.Store;

/// <summary>
/// A listing of the store's namespaces (LangGraph <c>POST /store/namespaces</c>, <c>BaseStore.list_namespaces</c>).
/// </summary>
/// <param name="Prefix">Labels the namespace must start with; <c>*</c> matches any label; empty for no condition.</param>
/// <param name="Suffix">Labels the namespace must end with; <c>*</c> matches any label; empty for no condition.</param>
/// <param name="MaxDepth">Truncates each namespace to this many labels (then duplicates collapse); null keeps them whole.</param>
/// <param name="Limit">How many namespaces to return.</param>
/// <param name="Offset">How many to skip.</param>
public sealed record StoreNamespaceQuery(IReadOnlyList<string> Prefix, IReadOnlyList<string> Suffix, int? MaxDepth, int Limit, int Offset);
