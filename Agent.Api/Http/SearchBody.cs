using System.Text.Json.Serialization;

namespace Agent.Api.Http;

/// <summary>
/// The paging, sorting and projection fields every LangGraph <c>/search</c> body shares (reference section 2.1:
/// <c>AssistantSearchRequest</c>, <c>ThreadSearchRequest</c>, <c>CronSearch</c>), as they come over the wire; an open
/// record, so the resource's filters in the same body are read by their own record. <see cref="SearchRequest"/>
/// validates the values.
/// </summary>
internal sealed record SearchBody
{
    /// <summary>Gets how many items to return (an integer, 1 to 1,000), or null for 10.</summary>
    [JsonPropertyName("limit")]
    [WireError("limit must be an integer.")]
    public double? Limit { get; init; }

    /// <summary>Gets how many items to skip (an integer, 0 or more), or null for 0.</summary>
    [JsonPropertyName("offset")]
    [WireError("offset must be an integer.")]
    public double? Offset { get; init; }

    /// <summary>Gets the field to sort by (one of the resource's), or null for its first.</summary>
    [JsonPropertyName("sort_by")]
    public string? SortBy { get; init; }

    /// <summary>Gets the order, or null for <see cref="Http.SortOrder.Desc"/>.</summary>
    [JsonPropertyName("sort_order")]
    [WireError("sort_order must be 'asc' or 'desc'.")]
    public SortOrder? SortOrder { get; init; }

    /// <summary>Gets the fields to return (each one of the resource's), or null for all.</summary>
    [JsonPropertyName("select")]
    public IReadOnlyList<string>? Select { get; init; }
}
