using System.Text.Json.Nodes;
using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Store;

/// <summary>
/// Reads and writes the items of LangGraph's long-term memory store (<see cref="StoreItem"/>) for the API's
/// <c>/store</c> endpoints and the worker's store port. Every method takes the tenant explicitly, since the worker's
/// context sees every tenant; an item of another tenant is never read, changed or listed.
/// </summary>
/// <remarks>
/// An expired item (<see cref="StoreItem.ExpiresAt"/> passed) is invisible to every read at once, and deleted by
/// <see cref="DeleteExpiredAsync"/> (the worker's store sweeper). Reads refresh the time to live when asked
/// (LangGraph's <c>refresh_ttl</c>): the item then expires <see cref="StoreItem.TtlMinutes"/> after the read.
/// </remarks>
/// <param name="db">The scope's database context.</param>
/// <param name="timeProvider">The clock.</param>
public sealed class ItemStore(AgentDbContext db, TimeProvider timeProvider)
{
    /// <summary>
    /// Puts an item: inserts it, or replaces the value, index and time to live of the item under the same namespace and
    /// key (its <c>created_at</c> stays, unless it had expired).
    /// </summary>
    /// <param name="tenantId">The owning tenant.</param>
    /// <param name="itemNamespace">The namespace (checked: <see cref="StoreNamespace.CheckItem"/>).</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="index">What the full-text search reads (<see cref="StoreIndexText"/>): null, <c>false</c> or field paths.</param>
    /// <param name="ttlMinutes">The time to live in minutes, or null for none.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the item is stored.</returns>
    /// <exception cref="ArgumentException">The tenant, namespace or key is not valid.</exception>
    public async Task PutAsync(
        string tenantId, IReadOnlyList<string> itemNamespace, string key, JsonObject value, JsonNode? index, double? ttlMinutes,
        CancellationToken cancellationToken)
    {
        var labels = Checked(tenantId, itemNamespace, key);
        var now = timeProvider.GetUtcNow();
        DateTimeOffset? expiresAt = ttlMinutes is { } ttl ? now.AddMinutes(ttl) : null;
        var searchText = StoreIndexText.From(value, index);
        var json = value.ToJsonString();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.store_items AS s
                (tenant_id, namespace, key, value, search_text, ttl_minutes, expires_at, created_at, updated_at)
            VALUES ({tenantId}, {labels}, {key}, {json}::jsonb, {searchText}::text, {ttlMinutes}::float8, {expiresAt}::timestamptz, {now}, {now})
            ON CONFLICT (tenant_id, namespace, key) DO UPDATE SET
                value = excluded.value,
                search_text = excluded.search_text,
                ttl_minutes = excluded.ttl_minutes,
                expires_at = excluded.expires_at,
                updated_at = excluded.updated_at,
                created_at = CASE WHEN s.expires_at <= excluded.updated_at THEN excluded.created_at ELSE s.created_at END
            """, cancellationToken);
    }

    /// <summary>Gets an item that has not expired, refreshing its time to live when asked.</summary>
    /// <param name="tenantId">The owning tenant.</param>
    /// <param name="itemNamespace">The namespace.</param>
    /// <param name="key">The key.</param>
    /// <param name="refreshTtl">Whether the item's time to live starts again (items without one are unchanged).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The item (not tracked), or null when the tenant has no such item.</returns>
    /// <exception cref="ArgumentException">The tenant, namespace or key is not valid.</exception>
    public async Task<StoreItem?> GetAsync(
        string tenantId, IReadOnlyList<string> itemNamespace, string key, bool refreshTtl, CancellationToken cancellationToken)
    {
        var labels = Checked(tenantId, itemNamespace, key);
        var now = timeProvider.GetUtcNow();
        var item = await Live(tenantId, labels, key, now).AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (item is { TtlMinutes: { } ttl } && refreshTtl)
        {
            var expiresAt = now.AddMinutes(ttl);
            await Live(tenantId, labels, key, now).ExecuteUpdateAsync(s => s.SetProperty(i => i.ExpiresAt, expiresAt), cancellationToken);
            item.ExpiresAt = expiresAt;
        }

        return item;
    }

    /// <summary>Deletes an item (an absent one is not an error: LangGraph's delete is idempotent).</summary>
    /// <param name="tenantId">The owning tenant.</param>
    /// <param name="itemNamespace">The namespace.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>Whether an item was deleted.</returns>
    /// <exception cref="ArgumentException">The tenant, namespace or key is not valid.</exception>
    public async Task<bool> DeleteAsync(string tenantId, IReadOnlyList<string> itemNamespace, string key, CancellationToken cancellationToken)
    {
        var labels = Checked(tenantId, itemNamespace, key);
        return await db.StoreItems.Where(i => i.TenantId == tenantId && i.Namespace == labels && i.Key == key)
            .ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Searches the tenant's items under a namespace prefix (a range of the primary key), with exact field filters and
    /// an optional full-text query, refreshing the returned items' time to live when asked.
    /// </summary>
    /// <param name="tenantId">The owning tenant.</param>
    /// <param name="search">The search.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page: best score first with a query, else most recently updated first.</returns>
    /// <exception cref="ArgumentException">The tenant is not valid.</exception>
    public async Task<List<StoreSearchHit>> SearchAsync(string tenantId, StoreSearch search, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(search);
        RequireTenant(tenantId);
        var (lower, upper) = StoreNamespace.Range(search.NamespacePrefix, wildcards: false);
        var now = timeProvider.GetUtcNow();
        var filter = search.Filter is { Count: > 0 } f ? f.ToJsonString() : null;
        var query = string.IsNullOrWhiteSpace(search.Query) ? null : search.Query;
        var (limit, offset, refresh) = (search.Limit, search.Offset, search.RefreshTtl);
        // value @> filter uses the GIN index; the per-field comparison makes the match exact (containment alone
        // would also accept a superset object or an array holding the value).
        return await db.Database.SqlQuery<StoreSearchHit>($"""
            WITH hits AS (
                SELECT s.namespace, s.key, s.value, s.created_at, s.updated_at,
                       CASE WHEN q.query IS NULL THEN NULL ELSE ts_rank(s.search_vector, q.query)::float8 END AS score
                FROM agent.store_items s, (SELECT websearch_to_tsquery('english'::regconfig, {query}::text) AS query) q
                WHERE s.tenant_id = {tenantId}
                  AND (s.expires_at IS NULL OR s.expires_at > {now})
                  AND s.namespace >= {lower}::text[] AND ({upper}::text[] IS NULL OR s.namespace < {upper}::text[])
                  AND ({filter}::jsonb IS NULL OR (s.value @> {filter}::jsonb AND NOT EXISTS (
                      SELECT 1 FROM jsonb_each({filter}::jsonb) f WHERE s.value -> f.key IS DISTINCT FROM f.value)))
                  AND (q.query IS NULL OR s.search_vector @@ q.query)
                ORDER BY score DESC NULLS LAST, s.updated_at DESC, s.namespace, s.key
                LIMIT {limit} OFFSET {offset}),
            refreshed AS (
                UPDATE agent.store_items s SET expires_at = {now} + s.ttl_minutes * interval '1 minute'
                FROM hits h
                WHERE {refresh} AND s.tenant_id = {tenantId} AND s.namespace = h.namespace AND s.key = h.key
                  AND s.ttl_minutes IS NOT NULL)
            SELECT h.namespace AS "Namespace", h.key AS "Key", h.value::text AS "Value", h.created_at AS "CreatedAt",
                   h.updated_at AS "UpdatedAt", h.score AS "Score"
            FROM hits h
            ORDER BY h.score DESC NULLS LAST, h.updated_at DESC, h.namespace, h.key
            """).ToListAsync(cancellationToken);
    }

    /// <summary>Lists the distinct namespaces of the tenant's live items that match a prefix and a suffix.</summary>
    /// <param name="tenantId">The owning tenant.</param>
    /// <param name="query">The conditions, depth and page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The namespaces, in label order (bytewise).</returns>
    /// <exception cref="ArgumentException">The tenant is not valid.</exception>
    public async Task<List<string[]>> ListNamespacesAsync(string tenantId, StoreNamespaceQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        RequireTenant(tenantId);
        var (lower, upper) = StoreNamespace.Range(query.Prefix, wildcards: true);
        var now = timeProvider.GetUtcNow();
        string[] prefix = [.. query.Prefix];
        string[] suffix = [.. query.Suffix];
        var (depth, limit, offset) = (query.MaxDepth, query.Limit, query.Offset);
        var rows = await db.Database.SqlQuery<NamespaceRow>($"""
            SELECT n."Namespace" FROM (
                SELECT DISTINCT CASE WHEN {depth}::int IS NULL THEN s.namespace ELSE s.namespace[1:{depth}::int] END AS "Namespace"
                FROM agent.store_items s
                WHERE s.tenant_id = {tenantId}
                  AND (s.expires_at IS NULL OR s.expires_at > {now})
                  AND s.namespace >= {lower}::text[] AND ({upper}::text[] IS NULL OR s.namespace < {upper}::text[])
                  AND cardinality(s.namespace) >= cardinality({prefix}::text[])
                  AND NOT EXISTS (
                      SELECT 1 FROM unnest({prefix}::text[]) WITH ORDINALITY p(label, i)
                      WHERE p.label <> '*' AND s.namespace[p.i::int] IS DISTINCT FROM p.label)
                  AND cardinality(s.namespace) >= cardinality({suffix}::text[])
                  AND NOT EXISTS (
                      SELECT 1 FROM unnest({suffix}::text[]) WITH ORDINALITY x(label, i)
                      WHERE x.label <> '*'
                        AND s.namespace[cardinality(s.namespace) - cardinality({suffix}::text[]) + x.i::int] IS DISTINCT FROM x.label)
            ) n
            ORDER BY n."Namespace"
            LIMIT {limit} OFFSET {offset}
            """).ToListAsync(cancellationToken);
        return rows.Select(r => r.Namespace).ToList();
    }

    /// <summary>
    /// Deletes up to <paramref name="batchSize"/> expired items of every tenant, skipping rows another sweeper (or a
    /// writer) holds, so concurrent workers share the work without waiting.
    /// </summary>
    /// <param name="batchSize">The most items deleted.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>How many items were deleted.</returns>
    public Task<int> DeleteExpiredAsync(int batchSize, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        return db.Database.ExecuteSqlAsync($"""
            DELETE FROM agent.store_items
            WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM agent.store_items
                WHERE expires_at <= {now}
                ORDER BY expires_at
                LIMIT {batchSize}
                FOR UPDATE SKIP LOCKED))
            """, cancellationToken);
    }

    private IQueryable<StoreItem> Live(string tenantId, string[] labels, string key, DateTimeOffset now) =>
        db.StoreItems.Where(i => i.TenantId == tenantId && i.Namespace == labels && i.Key == key && (i.ExpiresAt == null || i.ExpiresAt > now));

    private static string[] Checked(string tenantId, IReadOnlyList<string> itemNamespace, string key)
    {
        RequireTenant(tenantId);
        if ((StoreNamespace.CheckItem(itemNamespace, "namespace") ?? StoreNamespace.CheckKey(key)) is { } invalid)
        {
            throw new ArgumentException(invalid, nameof(itemNamespace));
        }

        return [.. itemNamespace];
    }

    private static void RequireTenant(string tenantId)
    {
        if (!AgentTenants.IsValid(tenantId))
        {
            throw new ArgumentException("The store was used without a resolved tenant.", nameof(tenantId));
        }
    }

    private sealed class NamespaceRow
    {
        public string[] Namespace { get; set; } = [];
    }
}
