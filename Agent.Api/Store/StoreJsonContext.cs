using System.Text.Json.Serialization;

namespace Agent.Api.Store;

/// <summary>
/// The System.Text.Json source-generated serializers of the store's request and response records, snake_case as
/// LangGraph spells them (each feature declares its own, so <see cref="Http.ApiJsonContext"/> need not know the
/// features). Requests are read through <see cref="Http.WireBody"/>; each is <see cref="Http.WireClosedAttribute"/>, so an unknown
/// field is a 422 naming it.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StorePutRequest))]
[JsonSerializable(typeof(StoreDeleteRequest))]
[JsonSerializable(typeof(StoreSearchRequest))]
[JsonSerializable(typeof(StoreNamespacesRequest))]
[JsonSerializable(typeof(StoreItemResource))]
[JsonSerializable(typeof(StoreSearchResponse))]
[JsonSerializable(typeof(StoreNamespacesResponse))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
