using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Assistants;
using Agent.Persistence.Graphs;
using Agent.Persistence.Runs;

namespace Agent.Api.Assistants;

/// <summary>
/// Maps the assistant endpoints of the LangGraph Server API (reference section 2.1): create, get, patch, delete (here);
/// search, count, graph, schemas, subgraphs, versions and latest (<c>AssistantsApi.Search.cs</c>).
/// </summary>
/// <remarks>
/// System assistants (one per graph, id uuid5 of the graph id, <c>metadata.created_by = "system"</c>) are shared by
/// every tenant and read-only: a patch or delete of one answers 409 (the caller can see it, so 404 would lie; the
/// request conflicts with the assistant being shared). A tenant's own assistants are invisible to other tenants (404).
/// </remarks>
internal static partial class AssistantsApi
{
    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The group.</returns>
    public static RouteGroupBuilder MapAssistantsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/assistants").WithTags("Assistants");
        group.MapPost("/", CreateAsync).WithName("CreateAssistant").WithSummary("Creates an assistant of a graph.");
        group.MapPost("/search", SearchAsync).WithName("SearchAssistants").WithSummary("Searches assistants by graph, name and metadata.");
        group.MapPost("/count", CountAsync).WithName("CountAssistants").WithSummary("Counts assistants matching the filters.");
        group.MapGet("/{assistant_id}", GetAsync).WithName("GetAssistant").WithSummary("Gets an assistant.");
        group.MapPatch("/{assistant_id}", PatchAsync).WithName("PatchAssistant").WithSummary("Updates an assistant (a new version).");
        group.MapDelete("/{assistant_id}", DeleteAsync).WithName("DeleteAssistant").WithSummary("Deletes an assistant.");
        group.MapGet("/{assistant_id}/graph", GetGraphAsync).WithName("GetAssistantGraph").WithSummary("Gets the assistant's graph.");
        group.MapGet("/{assistant_id}/schemas", GetSchemasAsync).WithName("GetAssistantSchemas").WithSummary("Gets the graph's schemas.");
        group.MapGet("/{assistant_id}/subgraphs", GetSubgraphsAsync).WithName("GetAssistantSubgraphs").WithSummary("Gets the graph's subgraphs.");
        group.MapGet("/{assistant_id}/subgraphs/{namespace}", GetSubgraphsAtAsync).WithName("GetAssistantSubgraphsByNamespace")
            .WithSummary("Gets the subgraph of a namespace.");
        group.MapPost("/{assistant_id}/versions", ListVersionsAsync).WithName("ListAssistantVersions").WithSummary("Lists versions, newest first.");
        group.MapPost("/{assistant_id}/latest", SetLatestAsync).WithName("SetLatestAssistantVersion").WithSummary("Makes a version current.");
        return group;
    }

    /// <summary>Tells whether an assistant is a system assistant (shared by all tenants, read-only).</summary>
    /// <param name="assistant">The assistant.</param>
    /// <returns>True when it is.</returns>
    public static bool IsSystem(Assistant assistant) => assistant.TenantId is null;

    private static async Task<IResult> CreateAsync(
        HttpRequest request, AssistantStore assistants, DeployedGraphStore graphs, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (body!["graph_id"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return ApiResults.Unprocessable("graph_id is required: the graph the assistant runs, e.g. 'agent'.");
        }

        var (wire, invalid) = WireBody.Read(body, AssistantsJsonContext.Default.AssistantCreate);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var graphId = wire!.GraphId!;
        if (await graphs.ListIdsAsync(cancellationToken) is var known && !known.Contains(graphId))
        {
            return GraphNotFound(graphId, known);
        }

        var assistantId = Guid.CreateVersion7();
        if (wire.AssistantId is { } idText)
        {
            var (id, idError) = LangGraphErrors.ParsePathId(idText, "assistant");
            if (idError is not null)
            {
                return idError;
            }

            assistantId = id;
        }

        var (fields, fieldsError) = AssistantFields.Validate(wire, body.ContainsKey("config"), await GraphToolset.FindAsync(graphs, graphId, cancellationToken));
        if (fieldsError is not null)
        {
            return ApiResults.Unprocessable(fieldsError);
        }

        if (await assistants.FindAsync(assistantId, cancellationToken) is { } existing)
        {
            return wire.IfExists == OnConflictBehavior.DoNothing ? ApiResults.Json(AssistantJson.From(existing)) : LangGraphErrors.Conflict;
        }

        var now = timeProvider.GetUtcNow();
        var assistant = new Assistant
        {
            AssistantId = assistantId,
            GraphId = graphId,
            Name = fields.Name ?? "Untitled",
            Description = fields.Description,
            Config = (fields.Config ?? []).ToJsonString(),
            Context = (fields.Context ?? []).ToJsonString(),
            Metadata = (fields.Metadata ?? []).ToJsonString(),
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };

        // A lost race with a concurrent create of the same id (possibly another tenant's, which this caller cannot
        // see: it still cannot take the id) is a conflict.
        return await assistants.CreateAsync(assistant, cancellationToken)
            ? ApiResults.Json(AssistantJson.From(assistant))
            : LangGraphErrors.Conflict;
    }

    private static async Task<IResult> GetAsync(string assistant_id, AssistantStore assistants, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, assistants, cancellationToken);
        return error ?? ApiResults.Json(AssistantJson.From(assistant!));
    }

    private static async Task<IResult> PatchAsync(
        string assistant_id, HttpRequest request, AssistantStore assistants, DeployedGraphStore graphs, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, assistants, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (IsSystem(assistant!))
        {
            return ReadOnly(assistant!);
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var (wire, invalid) = WireBody.Read(body!, AssistantsJsonContext.Default.AssistantBody);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var graphId = wire!.GraphId ?? assistant!.GraphId;
        if (await graphs.ListIdsAsync(cancellationToken) is var known && !known.Contains(graphId))
        {
            return GraphNotFound(graphId, known);
        }

        var (fields, fieldsError) = AssistantFields.Validate(wire, body!.ContainsKey("config"), await GraphToolset.FindAsync(graphs, graphId, cancellationToken));
        if (fieldsError is not null)
        {
            return ApiResults.Unprocessable(fieldsError);
        }

        assistant!.GraphId = graphId;
        assistant.Name = fields.Name ?? assistant.Name;
        assistant.Description = body.ContainsKey("description") ? fields.Description : assistant.Description;
        assistant.Config = fields.Config?.ToJsonString() ?? assistant.Config;
        assistant.Context = fields.Context?.ToJsonString() ?? assistant.Context;
        if (fields.Metadata is { } patch)
        {
            // LangGraph merges metadata on patch; the other fields are replaced.
            var merged = JsonNode.Parse(assistant.Metadata) as JsonObject ?? [];
            foreach (var (key, value) in patch)
            {
                merged[key] = value?.DeepClone();
            }

            assistant.Metadata = merged.ToJsonString();
        }

        await assistants.SaveNewVersionAsync(assistant, timeProvider.GetUtcNow(), cancellationToken);
        return ApiResults.Json(AssistantJson.From(assistant));
    }

    private static async Task<IResult> DeleteAsync(
        string assistant_id, HttpRequest request, AssistantStore assistants, RunLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, assistants, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (IsSystem(assistant!))
        {
            return ReadOnly(assistant!);
        }

        var id = assistant!.AssistantId;
        return await lifecycle.DeleteAssistantAsync(id, deleteThreads: request.Query["delete_threads"].ToString() is "true" or "1", cancellationToken)
            ? TypedResults.NoContent()
            : ApiResults.Problem(StatusCodes.Status409Conflict, $"Assistant {id} has runs pending or running; cancel them first.");
    }

    private static async Task<(Assistant? Assistant, IResult? Error)> FindAsync(
        string assistantIdText, AssistantStore assistants, CancellationToken cancellationToken)
    {
        // Like run creation, a graph name stands for the graph's system assistant.
        var id = SystemAssistants.IdOf(assistantIdText);
        if (id == Guid.Empty)
        {
            return (null, LangGraphErrors.NotFound);
        }

        var assistant = await assistants.FindAsync(id, cancellationToken);
        return assistant is null ? (null, LangGraphErrors.NotFound) : (assistant, null);
    }

    // 422: the body names a graph no worker has deployed (the built-in ones and those in agent.graphs are known).
    private static IResult GraphNotFound(string graphId, IReadOnlyList<string> known) =>
        ApiResults.Unprocessable($"Graph '{ApiRequest.Truncate(graphId)}' not found; graphs: {string.Join(", ", known)}.");

    private static IResult ReadOnly(Assistant assistant) => ApiResults.Problem(
        StatusCodes.Status409Conflict,
        $"Assistant {assistant.AssistantId} is the system assistant of graph '{assistant.GraphId}', shared by every tenant " +
        "and read-only; create your own with POST /assistants.");
}
