using System.Text.Json.Nodes;

namespace Agent.Api.Http;

/// <summary>
/// Reads the paging, sorting and projection fields every LangGraph <c>/search</c> body shares: <c>limit</c>
/// (default 10, 1 to 1,000), <c>offset</c> (default 0), <c>sort_by</c>, <c>sort_order</c> (<c>asc</c> or
/// <c>desc</c>, default <c>desc</c>) and <c>select</c> (a list of the fields to return).
/// </summary>
/// <param name="Limit">How many items to return.</param>
/// <param name="Offset">How many to skip.</param>
/// <param name="SortBy">The field to sort by.</param>
/// <param name="Descending">Whether the order is descending.</param>
/// <param name="Select">The fields to return, or null for all.</param>
internal sealed record SearchRequest(int Limit, int Offset, string SortBy, bool Descending, IReadOnlyList<string>? Select)
{
    /// <summary>The largest <c>limit</c> accepted. Default is 1,000 (the Agent Protocol's bound).</summary>
    public const int MaxLimit = 1000;

    /// <summary>Reads the fields from a body (<see cref="SearchBody"/>; other fields are the resource's filters).</summary>
    /// <param name="body">The body.</param>
    /// <param name="sortFields">The fields <c>sort_by</c> may name; the first is the default.</param>
    /// <param name="selectFields">The fields <c>select</c> may name.</param>
    /// <returns>The request, or a 422 detail naming the field at fault.</returns>
    public static (SearchRequest? Request, string? Error) Parse(JsonObject body, IReadOnlyList<string> sortFields, IReadOnlyList<string> selectFields)
    {
        var (wire, error) = WireBody.Read(body, ApiJsonContext.Default.SearchBody);
        if (error is not null)
        {
            return (null, error);
        }

        var (limit, limitError) = Integer(wire!.Limit, "limit", 10);
        if (limitError is not null || limit is < 1 or > MaxLimit)
        {
            return (null, limitError ?? $"limit must be between 1 and {MaxLimit}.");
        }

        var (offset, offsetError) = Integer(wire.Offset, "offset", 0);
        if (offsetError is not null || offset < 0)
        {
            return (null, offsetError ?? "offset must be 0 or more.");
        }

        var sortBy = wire.SortBy ?? sortFields[0];
        if (!sortFields.Contains(sortBy))
        {
            return (null, $"sort_by must be one of {string.Join(", ", sortFields)}.");
        }

        var unknown = wire.Select?.FirstOrDefault(f => !selectFields.Contains(f));
        if (unknown is not null)
        {
            return (null, $"select names an unknown field '{ApiRequest.Truncate(unknown)}'; fields: {string.Join(", ", selectFields)}.");
        }

        return (new SearchRequest(limit, offset, sortBy, wire.SortOrder != SortOrder.Asc, wire.Select), null);
    }

    /// <summary>Keeps only the selected fields of an item.</summary>
    /// <param name="item">The full item.</param>
    /// <returns>The item, or a copy with the selected fields only.</returns>
    public JsonObject Project(JsonObject item)
    {
        if (Select is null)
        {
            return item;
        }

        var projected = new JsonObject();
        foreach (var field in Select)
        {
            projected[field] = item[field]?.DeepClone();
        }

        return projected;
    }

    // A JSON number that is a whole int: 10 and 10.0 are both 10, as JSON Schema's "integer" reads them.
    private static (int Value, string? Error) Integer(double? value, string field, int fallback) => value switch
    {
        null => (fallback, null),
        { } d when d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => ((int)d, null),
        _ => (0, $"{field} must be an integer."),
    };
}
