using System.Text.Json.Serialization;

namespace Agent.Api.Runs;

/// <summary>
/// The System.Text.Json source-generated serializers of the run request bodies (each feature declares its own, so
/// <see cref="Http.ApiJsonContext"/> need not know the features). Names are the records' <c>[JsonPropertyName]</c>s.
/// </summary>
[JsonSerializable(typeof(RunCreate))]
[JsonSerializable(typeof(RunCancelBody))]
internal sealed partial class RunsJsonContext : JsonSerializerContext;
