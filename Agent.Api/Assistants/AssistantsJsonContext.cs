using System.Text.Json.Serialization;

namespace Agent.Api.Assistants;

/// <summary>
/// The System.Text.Json source-generated serializers of the assistant wire shapes, snake_case as LangGraph spells them
/// (each feature declares its own, so <see cref="Http.ApiJsonContext"/> need not know the features): the resources
/// written, and the request bodies read through <see cref="Http.WireBody"/>.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(AssistantResource))]
[JsonSerializable(typeof(AssistantVersionResource))]
[JsonSerializable(typeof(AssistantConfigBody))]
[JsonSerializable(typeof(AssistantBody))]
[JsonSerializable(typeof(AssistantCreate))]
[JsonSerializable(typeof(AssistantFilterBody))]
[JsonSerializable(typeof(AssistantLatestBody))]
internal sealed partial class AssistantsJsonContext : JsonSerializerContext;
