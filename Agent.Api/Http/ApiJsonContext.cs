using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Agent.Api.Http;

/// <summary>
/// The System.Text.Json source-generated serializers of the API's shared response bodies: the documents still built as
/// <see cref="JsonNode"/> trees and the error body <see cref="ApiProblem"/>; and the one request shape every feature
/// shares, <see cref="SearchBody"/>. The LangGraph wire shapes declared as
/// records have their feature's context (<c>AssistantsJsonContext</c>, <c>CronsJsonContext</c>,
/// <c>ThreadsJsonContext</c>), so this namespace, used by every feature, knows none of them. Generated at compile time,
/// so no response is serialized by reflection. Names are snake_case, as LangGraph spells them.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(SearchBody))]
internal sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// Serializes a wire record to a JSON object, for the endpoints that still shape it further (<c>select</c>
    /// projections, added fields).
    /// </summary>
    /// <typeparam name="T">The record.</typeparam>
    /// <param name="value">The value.</param>
    /// <param name="typeInfo">Its generated metadata, e.g. <c>AssistantsJsonContext.Default.AssistantResource</c>.</param>
    /// <returns>The object.</returns>
    public static JsonObject ToObject<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToNode(value, typeInfo)!.AsObject();
}
