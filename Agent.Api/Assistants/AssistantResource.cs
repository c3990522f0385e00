using System.Text.Json.Nodes;

namespace Agent.Api.Assistants;

/// <summary>
/// The LangGraph Server's <c>Assistant</c> object (reference section 2.1; <c>langgraphjs:libs/sdk/src/schema.ts</c>),
/// serialized by <see cref="AssistantsJsonContext"/> with snake_case names in this order.
/// </summary>
/// <param name="AssistantId">The assistant's id.</param>
/// <param name="GraphId">The graph it runs.</param>
/// <param name="Config">Its config object.</param>
/// <param name="Context">Its context object.</param>
/// <param name="Metadata">Its metadata object.</param>
/// <param name="Name">Its name.</param>
/// <param name="Description">Its description, or null.</param>
/// <param name="Version">Its current version, from 1.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="UpdatedAt">When it last changed (UTC).</param>
internal sealed record AssistantResource(
    Guid AssistantId, string GraphId, JsonNode? Config, JsonNode? Context, JsonNode? Metadata, string Name, string? Description,
    int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The LangGraph Server's <c>AssistantVersion</c> object: the assistant's fields as of one version (no
/// <c>updated_at</c>), serialized by <see cref="AssistantsJsonContext"/>.
/// </summary>
/// <param name="AssistantId">The assistant's id.</param>
/// <param name="GraphId">The graph it ran.</param>
/// <param name="Config">Its config object.</param>
/// <param name="Context">Its context object.</param>
/// <param name="Metadata">Its metadata object.</param>
/// <param name="Name">Its name.</param>
/// <param name="Description">Its description, or null.</param>
/// <param name="Version">The version number.</param>
/// <param name="CreatedAt">When the version was written (UTC).</param>
internal sealed record AssistantVersionResource(
    Guid AssistantId, string GraphId, JsonNode? Config, JsonNode? Context, JsonNode? Metadata, string Name, string? Description,
    int Version, DateTimeOffset CreatedAt);
