using System.Text.Json.Serialization;

namespace Agent.Api.Http;

/// <summary>
/// What creating an assistant or thread whose id exists does (LangGraph <c>OnConflictBehavior</c>, reference section 2.1:
/// <c>if_exists</c>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<OnConflictBehavior>))]
internal enum OnConflictBehavior
{
    /// <summary>Answers 409. The default.</summary>
    [JsonStringEnumMemberName("raise")]
    Raise,

    /// <summary>Returns the existing one unchanged.</summary>
    [JsonStringEnumMemberName("do_nothing")]
    DoNothing,
}
