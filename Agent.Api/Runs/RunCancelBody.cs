using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Runs;

/// <summary>
/// The body of <c>POST /runs/cancel</c> as it comes over the wire (LangGraph <c>CancelRunsRequest</c>, reference section
/// 2.1): the runs to cancel, by ids (of a thread), by thread, or by status. At least one is required.
/// </summary>
internal sealed record RunCancelBody
{
    /// <summary>Gets the thread (a UUID as text) whose runs to cancel, or null.</summary>
    [JsonPropertyName("thread_id")]
    [WireError("thread_id must be a UUID, got '{1}'.")]
    public string? ThreadId { get; init; }

    /// <summary>Gets the runs (UUIDs as text) to cancel, or null.</summary>
    [JsonPropertyName("run_ids")]
    public IReadOnlyList<string>? RunIds { get; init; }

    /// <summary>Gets the status of the runs to cancel, or null.</summary>
    [JsonPropertyName("status")]
    [WireError("status must be 'pending', 'running' or 'all'.")]
    public RunCancelStatus? Status { get; init; }
}
