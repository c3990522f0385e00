using System.Text.Json.Serialization;

namespace Agent.Api.Crons;

/// <summary>
/// The System.Text.Json source-generated serializers of the cron wire shape, snake_case as LangGraph spells them (each feature
/// declares its own, so <see cref="Http.ApiJsonContext"/> need not know the features).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(CronResource))]
internal sealed partial class CronsJsonContext : JsonSerializerContext;
