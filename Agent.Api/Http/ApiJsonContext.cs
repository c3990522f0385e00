using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Agent.Api.Http;

/// <summary>
/// The System.Text.Json source-generated serializers of the API's response bodies: the LangGraph documents (built as
/// <see cref="JsonNode"/> trees by the <c>*Json</c> types of each feature folder) and the error body
/// <see cref="ApiProblem"/>. Generated at compile time, so no response is serialized by reflection.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(ApiProblem))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
