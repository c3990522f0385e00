using System.Text.Json.Serialization;

namespace Agent.Persistence.Runs;

/// <summary>
/// What a new run does when its thread already has a run pending or running (LangGraph <c>MultitaskStrategy</c>,
/// reference/langgraph-server-api.md section 6). Spelled in lower case on the wire and in the <c>runs</c> table.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MultitaskStrategy>))]
public enum MultitaskStrategy
{
    /// <summary>Refuses the new run with 409 while another is unfinished.</summary>
    [JsonStringEnumMemberName("reject")]
    Reject,

    /// <summary>Queues the new run behind the unfinished ones (FIFO, one at a time). The default.</summary>
    [JsonStringEnumMemberName("enqueue")]
    Enqueue,

    /// <summary>Queues the new run and cancels the unfinished ones with <see cref="CancelAction.Interrupt"/>.</summary>
    [JsonStringEnumMemberName("interrupt")]
    Interrupt,

    /// <summary>Queues the new run and cancels the unfinished ones with <see cref="CancelAction.Rollback"/>.</summary>
    [JsonStringEnumMemberName("rollback")]
    Rollback,
}
