using System.Text.Json.Serialization;

namespace Agent.Api.Threads;

/// <summary>
/// The System.Text.Json source-generated serializers of the thread wire shapes, snake_case as LangGraph spells them (each feature
/// declares its own, so <see cref="Http.ApiJsonContext"/> need not know the features).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ThreadResource))]
[JsonSerializable(typeof(ThreadStateResource))]
[JsonSerializable(typeof(CheckpointReference))]
internal sealed partial class ThreadsJsonContext : JsonSerializerContext;
