using NpgsqlTypes;

namespace Agent.Persistence.Store;

/// <summary>
/// Represents one item of LangGraph's long-term memory store (table <c>agent.store_items</c>): a JSON object under a
/// namespace and a key, owned by a tenant, optionally expiring.
/// </summary>
/// <remarks>
/// The key is (<see cref="TenantId"/>, <see cref="Namespace"/>, <see cref="Key"/>). The namespace is a <c>text[]</c>
/// in the <c>C</c> collation, so a namespace prefix is a range of the primary key's B-tree (see
/// <see cref="StoreNamespace.Range"/>). Items are written and read by <see cref="ItemStore"/>.
/// </remarks>
public sealed class StoreItem
{
    /// <summary>Gets or sets the tenant that owns the item.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>Gets or sets the namespace: one or more labels, none empty and none containing <c>.</c>.</summary>
    public string[] Namespace { get; set; } = [];

    /// <summary>Gets or sets the key within the namespace.</summary>
    public required string Key { get; set; }

    /// <summary>Gets or sets the value, a JSON object, as JSON text (jsonb).</summary>
    public string Value { get; set; } = "{}";

    /// <summary>
    /// Gets or sets the text the full-text search reads: the string values of the fields the item's <c>index</c> names
    /// (all of them by default), or null when the item was put with <c>index: false</c> (<see cref="StoreIndexText"/>).
    /// </summary>
    public string? SearchText { get; set; }

    /// <summary>
    /// Gets or sets the stored generated search vector of <see cref="SearchText"/> (English configuration; GIN indexed).
    /// Written by PostgreSQL, never by the application.
    /// </summary>
    public NpgsqlTsVector SearchVector { get; set; } = null!;

    /// <summary>Gets or sets the time to live in minutes, or null for an item that never expires.</summary>
    public double? TtlMinutes { get; set; }

    /// <summary>
    /// Gets or sets when the item expires (UTC): <see cref="UpdatedAt"/> (or the last read that refreshed it) plus
    /// <see cref="TtlMinutes"/>; null when it never expires. An expired item is invisible at once and deleted by the
    /// worker's store sweeper.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; set; }

    /// <summary>Gets or sets when the item was first put (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the item was last put (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}
