using System.Text.Json.Serialization;

namespace Agent.Api.Http;

/// <summary>The order of a <c>/search</c> page (LangGraph <c>SortOrder</c>, reference section 2.1: <c>sort_order</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SortOrder>))]
internal enum SortOrder
{
    /// <summary>Ascending.</summary>
    [JsonStringEnumMemberName("asc")]
    Asc,

    /// <summary>Descending. The default.</summary>
    [JsonStringEnumMemberName("desc")]
    Desc,
}
