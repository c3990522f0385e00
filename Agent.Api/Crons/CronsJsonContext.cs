using System.Text.Json.Serialization;

namespace Agent.Api.Crons;

/// <summary>
/// The System.Text.Json source-generated serializers of the cron wire shapes, snake_case as LangGraph spells them (each
/// feature declares its own, so <see cref="Http.ApiJsonContext"/> need not know the features): the resource written, and
/// the request bodies read through <see cref="Http.WireBody"/>.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CronResource))]
[JsonSerializable(typeof(CronBody))]
[JsonSerializable(typeof(CronFilterBody))]
internal sealed partial class CronsJsonContext : JsonSerializerContext;
