using System.Text.Json.Serialization;

namespace Agent.Api.Threads;

/// <summary>
/// The System.Text.Json source-generated serializers of the thread wire shapes, snake_case as LangGraph spells them (each
/// feature declares its own, so <see cref="Http.ApiJsonContext"/> need not know the features): the resources written,
/// and the request bodies read through <see cref="Http.WireBody"/>.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ThreadResource))]
[JsonSerializable(typeof(ThreadStateResource))]
[JsonSerializable(typeof(CheckpointReference))]
[JsonSerializable(typeof(ThreadCreate))]
[JsonSerializable(typeof(ThreadPatch))]
[JsonSerializable(typeof(ThreadStatePatch))]
[JsonSerializable(typeof(ThreadFilterBody))]
[JsonSerializable(typeof(ThreadSearchBody))]
[JsonSerializable(typeof(StateUpdateBody))]
[JsonSerializable(typeof(ThreadHistoryBody))]
internal sealed partial class ThreadsJsonContext : JsonSerializerContext;
