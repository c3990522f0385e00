using System.Text.Json.Nodes;

namespace Agent.Worker.Store;

/// <summary>
/// The port through which a graph's nodes and tools read and write LangGraph's long-term memory store (the items that
/// clients reach through <c>/store</c>, memory that outlives a thread), scoped to the tenant of the run being executed.
/// </summary>
/// <remarks>
/// Resolve it from DI: in a node, <c>context.Services.GetRequiredService&lt;IAgentStore&gt;()</c>; in an
/// <c>AddAgentTool</c> function, a parameter of type <see cref="IServiceProvider"/> (or
/// <c>AIFunctionArguments.Services</c>). Every call acts for the tenant of the run on the current async flow; used
/// outside a run it throws <see cref="InvalidOperationException"/>. A node or tool may run again after a crash
/// (at-least-once), so write with a key that makes the write idempotent (a put replaces).
/// Namespaces: 1 to 32 labels, none empty, none containing <c>.</c>; keys: 1 to 1,024 characters; an invalid one throws
/// <see cref="ArgumentException"/>.
/// </remarks>
public interface IAgentStore
{
    /// <summary>Gets an item, refreshing its time to live unless <paramref name="refreshTtl"/> is false.</summary>
    /// <param name="itemNamespace">The namespace, e.g. <c>["memories", "user-1"]</c>.</param>
    /// <param name="key">The key.</param>
    /// <param name="refreshTtl">Whether the item's time to live starts again. Default is true.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The item, or null when there is none (or it expired).</returns>
    Task<AgentStoreItem?> GetAsync(IReadOnlyList<string> itemNamespace, string key, bool refreshTtl = true, CancellationToken cancellationToken = default);

    /// <summary>Stores an item, replacing the one under the same namespace and key.</summary>
    /// <param name="itemNamespace">The namespace; its root may not be <c>langgraph</c>.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value, a JSON object.</param>
    /// <param name="ttlMinutes">Time to live in minutes (greater than 0, at most 100 years), or null (default) for none; out of range throws <see cref="ArgumentOutOfRangeException"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the item is stored.</returns>
    Task PutAsync(IReadOnlyList<string> itemNamespace, string key, JsonObject value, double? ttlMinutes = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an item; an absent one is not an error.</summary>
    /// <param name="itemNamespace">The namespace.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>Whether an item was deleted.</returns>
    Task<bool> DeleteAsync(IReadOnlyList<string> itemNamespace, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Searches the items under a namespace prefix: with <paramref name="query"/>, PostgreSQL full-text search over the
    /// values' strings (English), best first, each with its score; without, newest first.
    /// </summary>
    /// <param name="namespacePrefix">The prefix; empty for every namespace.</param>
    /// <param name="query">Words to find, or null.</param>
    /// <param name="filter">Top-level value fields that must be exactly equal, or null.</param>
    /// <param name="limit">How many items to return, 1 to 1,000. Default is 10.</param>
    /// <param name="offset">How many to skip. Default is 0.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The items.</returns>
    Task<IReadOnlyList<AgentStoreItem>> SearchAsync(
        IReadOnlyList<string> namespacePrefix, string? query = null, JsonObject? filter = null, int limit = 10, int offset = 0,
        CancellationToken cancellationToken = default);
}
