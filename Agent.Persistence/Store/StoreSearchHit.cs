namespace Agent.Persistence.Store;

/// <summary>One item found by <see cref="ItemStore.SearchAsync"/>, as the query returns it.</summary>
public sealed class StoreSearchHit
{
    /// <summary>Gets or sets the item's namespace.</summary>
    public string[] Namespace { get; set; } = [];

    /// <summary>Gets or sets the item's key.</summary>
    public string Key { get; set; } = "";

    /// <summary>Gets or sets the item's value, a JSON object, as JSON text.</summary>
    public string Value { get; set; } = "{}";

    /// <summary>Gets or sets when the item was first put (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the item was last put (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets or sets the <c>ts_rank</c> of the item for the search's query (higher is better), or null without a query.</summary>
    public double? Score { get; set; }
}
