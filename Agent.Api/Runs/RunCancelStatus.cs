using System.Text.Json.Serialization;

namespace Agent.Api.Runs;

/// <summary>Which runs <c>POST /runs/cancel</c> cancels by status (LangGraph <c>BulkCancelRunsStatus</c>, reference section 2.1: <c>status</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunCancelStatus>))]
internal enum RunCancelStatus
{
    /// <summary>The pending runs.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>The running runs.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Every unfinished run.</summary>
    [JsonStringEnumMemberName("all")]
    All,
}
