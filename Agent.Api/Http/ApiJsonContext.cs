using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Agent.Api.Assistants;
using Agent.Api.Crons;
using Agent.Api.Threads;

namespace Agent.Api.Http;

/// <summary>
/// The System.Text.Json source-generated serializers of the API's response bodies: the LangGraph wire shapes declared
/// as records (<see cref="AssistantResource"/>, <see cref="CronResource"/>, ...), the documents still built as
/// <see cref="JsonNode"/> trees, and the error body <see cref="ApiProblem"/>. Generated at compile time, so no response
/// is serialized by reflection. Names are snake_case, as LangGraph spells them.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(AssistantResource))]
[JsonSerializable(typeof(AssistantVersionResource))]
[JsonSerializable(typeof(CronResource))]
[JsonSerializable(typeof(ThreadResource))]
[JsonSerializable(typeof(ThreadStateResource))]
[JsonSerializable(typeof(CheckpointReference))]
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Serializes a wire record to a JSON object, for the endpoints that still shape it further (<c>select</c>
    /// projections, added fields).
    /// </summary>
    /// <typeparam name="T">The record.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">Its generated metadata, e.g. <c>ApiJsonContext.Default.AssistantResource</c>.</param>
    /// <returns>The object.</returns>
    public static JsonObject ToObject<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToNode(value, typeInfo)!.AsObject();
}
