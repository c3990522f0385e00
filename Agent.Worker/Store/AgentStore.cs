using System.Text.Json.Nodes;
using Agent.Persistence.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Worker.Store;

/// <summary>
/// The worker's <see cref="IAgentStore"/>: each call runs in a scope of its own (its own pooled database context) on
/// <see cref="ItemStore"/>, for the tenant of the run on the current async flow (<see cref="RunTenantScope"/>).
/// </summary>
/// <param name="scopes">Creates a scope per call.</param>
internal sealed class AgentStore(IServiceScopeFactory scopes) : IAgentStore
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called outside a run.</exception>
    public async Task<AgentStoreItem?> GetAsync(IReadOnlyList<string> itemNamespace, string key, bool refreshTtl = true, CancellationToken cancellationToken = default)
    {
        var tenant = Tenant();
        await using var scope = scopes.CreateAsyncScope();
        var item = await scope.ServiceProvider.GetRequiredService<ItemStore>().GetAsync(tenant, itemNamespace, key, refreshTtl, cancellationToken);
        return item is null ? null : new AgentStoreItem(item.Namespace, item.Key, Parse(item.Value), item.CreatedAt, item.UpdatedAt);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called outside a run.</exception>
    public async Task PutAsync(IReadOnlyList<string> itemNamespace, string key, JsonObject value, double? ttlMinutes = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (StoreNamespace.CheckItem(itemNamespace, "namespace", writing: true) is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(itemNamespace));
        }

        if (StoreTtl.Check(ttlMinutes) is { } badTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(ttlMinutes), ttlMinutes, badTtl);
        }

        var tenant = Tenant();
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ItemStore>().PutAsync(tenant, itemNamespace, key, value, null, ttlMinutes, cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called outside a run.</exception>
    public async Task<bool> DeleteAsync(IReadOnlyList<string> itemNamespace, string key, CancellationToken cancellationToken = default)
    {
        var tenant = Tenant();
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ItemStore>().DeleteAsync(tenant, itemNamespace, key, cancellationToken);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Called outside a run.</exception>
    public async Task<IReadOnlyList<AgentStoreItem>> SearchAsync(
        IReadOnlyList<string> namespacePrefix, string? query = null, JsonObject? filter = null, int limit = 10, int offset = 0,
        CancellationToken cancellationToken = default)
    {
        if (StoreNamespace.CheckPrefix(namespacePrefix, "namespacePrefix") is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(namespacePrefix));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var tenant = Tenant();
        await using var scope = scopes.CreateAsyncScope();
        var hits = await scope.ServiceProvider.GetRequiredService<ItemStore>().SearchAsync(
            tenant, new StoreSearch(namespacePrefix, filter, query, limit, offset, RefreshTtl: true), cancellationToken);
        return hits.Select(h => new AgentStoreItem(h.Namespace, h.Key, Parse(h.Value), h.CreatedAt, h.UpdatedAt, h.Score)).ToList();
    }

    private static string Tenant() => RunTenantScope.Current
        ?? throw new InvalidOperationException("IAgentStore is used outside a run: it acts for the tenant of the run being executed.");

    private static JsonObject Parse(string json) => JsonNode.Parse(json)?.AsObject() ?? [];
}
