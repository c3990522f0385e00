using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Assistants;

/// <summary>
/// Maps the assistant endpoints of the LangGraph Server API (reference section 2.1): create, get, patch, delete,
/// search, count, graph, schemas, subgraphs, versions and latest.
/// </summary>
/// <remarks>
/// System assistants (one per graph, id uuid5 of the graph id, <c>metadata.created_by = "system"</c>) are shared by
/// every tenant and read-only: a patch or delete of one answers 409 (the caller can see it, so 404 would lie; the
/// request conflicts with the assistant being shared). A tenant's own assistants are invisible to other tenants (404).
/// </remarks>
internal static class AssistantsApi
{
    private static readonly string[] SortFields = ["created_at", "updated_at", "assistant_id", "graph_id", "name"];

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
        group.MapGet("/{assistant_id}/subgraphs", GetSubgraphsAsync).WithName("GetAssistantSubgraphs").WithSummary("Gets subgraphs (none).");
        group.MapPost("/{assistant_id}/versions", ListVersionsAsync).WithName("ListAssistantVersions").WithSummary("Lists versions, newest first.");
        group.MapPost("/{assistant_id}/latest", SetLatestAsync).WithName("SetLatestAssistantVersion").WithSummary("Makes a version current.");
        return group;
    }

    /// <summary>Tells whether an assistant is a system assistant (shared by all tenants, read-only).</summary>
    /// <param name="assistant">The assistant.</param>
    /// <returns>True when it is.</returns>
    public static bool IsSystem(Assistant assistant) => assistant.TenantId is null;

    private static async Task<IResult> CreateAsync(HttpRequest request, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var graphId = ApiRequest.Text(body!, "graph_id");
        if (graphId is null)
        {
            return ApiResults.Unprocessable("graph_id is required: the graph the assistant runs, e.g. 'agent'.");
        }

        if (!SystemAssistants.GraphIds.Contains(graphId))
        {
            return ApiResults.NotFound($"Graph '{ApiRequest.Truncate(graphId)}' not found; graphs: {string.Join(", ", SystemAssistants.GraphIds)}.");
        }

        var assistantId = Guid.CreateVersion7();
        if (body!["assistant_id"] is not null)
        {
            var (id, idError) = ApiRequest.ParseId(ApiRequest.Text(body, "assistant_id"), "assistant_id");
            if (idError is not null)
            {
                return idError;
            }

            assistantId = id;
        }

        var ifExists = ApiRequest.Text(body, "if_exists") ?? "raise";
        if (ifExists is not ("raise" or "do_nothing"))
        {
            return ApiResults.Unprocessable("if_exists must be 'raise' or 'do_nothing'.");
        }

        var (fields, invalid) = ReadFields(body);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var existing = await db.Assistants.AsNoTracking().SingleOrDefaultAsync(a => a.AssistantId == assistantId, cancellationToken);
        if (existing is not null)
        {
            return ifExists == "do_nothing"
                ? ApiResults.Json(AssistantJson.From(existing))
                : ApiResults.Problem(StatusCodes.Status409Conflict, $"Assistant {assistantId} already exists.");
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
        db.Assistants.Add(assistant);
        db.AssistantVersions.Add(VersionOf(assistant, now));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with a concurrent create of the same id (possibly another tenant's, which this caller
            // cannot see: it still cannot take the id).
            db.ChangeTracker.Clear();
            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Assistant {assistantId} already exists.");
        }

        return ApiResults.Json(AssistantJson.From(assistant));
    }

    private static async Task<IResult> GetAsync(string assistant_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, db, cancellationToken);
        return error ?? ApiResults.Json(AssistantJson.From(assistant!));
    }

    private static async Task<IResult> PatchAsync(
        string assistant_id, HttpRequest request, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, db, cancellationToken, tracked: true);
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

        var graphId = ApiRequest.Text(body!, "graph_id") ?? assistant!.GraphId;
        if (!SystemAssistants.GraphIds.Contains(graphId))
        {
            return ApiResults.NotFound($"Graph '{ApiRequest.Truncate(graphId)}' not found; graphs: {string.Join(", ", SystemAssistants.GraphIds)}.");
        }

        var (fields, invalid) = ReadFields(body!);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var now = timeProvider.GetUtcNow();
        assistant!.GraphId = graphId;
        assistant.Name = fields.Name ?? assistant.Name;
        assistant.Description = body!.ContainsKey("description") ? fields.Description : assistant.Description;
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

        var latest = await db.AssistantVersions.Where(v => v.AssistantId == assistant.AssistantId)
            .MaxAsync(v => (int?)v.Version, cancellationToken) ?? assistant.Version;
        assistant.Version = latest + 1;
        assistant.UpdatedAt = now;
        db.AssistantVersions.Add(VersionOf(assistant, now));
        await db.SaveChangesAsync(cancellationToken);
        return ApiResults.Json(AssistantJson.From(assistant));
    }

    private static async Task<IResult> DeleteAsync(string assistant_id, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (IsSystem(assistant!))
        {
            return ReadOnly(assistant!);
        }

        var id = assistant!.AssistantId;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await db.Runs.AnyAsync(r => r.AssistantId == id && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running), cancellationToken))
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Assistant {id} has runs pending or running; cancel them first.");
        }

        // Its finished runs go with it (their events cascade); the threads' checkpoints stay (run_id set null).
        await db.Runs.Where(r => r.AssistantId == id).ExecuteDeleteAsync(cancellationToken);
        if (request.Query["delete_threads"].ToString() is "true" or "1")
        {
            var stamp = new JsonObject { ["assistant_id"] = id.ToString() }.ToJsonString();
            await db.Threads.Where(t => EF.Functions.JsonContains(t.Metadata, stamp)).ExecuteDeleteAsync(cancellationToken);
        }

        await db.Assistants.Where(a => a.AssistantId == id).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> SearchAsync(HttpResponse response, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (search, searchError) = SearchRequest.Parse(body!, SortFields, AssistantJson.Fields);
        var (query, filterError) = Filter(body!, db);
        if ((searchError ?? filterError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        query = (search!.SortBy, search.Descending) switch
        {
            ("updated_at", true) => query.OrderByDescending(a => a.UpdatedAt),
            ("updated_at", false) => query.OrderBy(a => a.UpdatedAt),
            ("assistant_id", true) => query.OrderByDescending(a => a.AssistantId),
            ("assistant_id", false) => query.OrderBy(a => a.AssistantId),
            ("graph_id", true) => query.OrderByDescending(a => a.GraphId),
            ("graph_id", false) => query.OrderBy(a => a.GraphId),
            ("name", true) => query.OrderByDescending(a => a.Name),
            ("name", false) => query.OrderBy(a => a.Name),
            (_, true) => query.OrderByDescending(a => a.CreatedAt),
            _ => query.OrderBy(a => a.CreatedAt),
        };
        // One more than asked tells whether there is a next page (X-Pagination-Next, read by the JS SDK).
        var page = await query.Skip(search.Offset).Take(search.Limit + 1).ToListAsync(cancellationToken);
        if (page.Count > search.Limit)
        {
            response.Headers["X-Pagination-Next"] = (search.Offset + search.Limit).ToString();
            page.RemoveAt(page.Count - 1);
        }

        return ApiResults.Json(new JsonArray(page.Select(a => (JsonNode)search.Project(AssistantJson.From(a))).ToArray()));
    }

    private static Task<IResult> CountAsync(HttpRequest request, AgentDbContext db, CancellationToken cancellationToken) =>
        ApiRequest.CountAsync(request, body => Filter(body, db), cancellationToken);

    private static async Task<IResult> GetGraphAsync(string assistant_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (_, error) = await FindAsync(assistant_id, db, cancellationToken);
        return error ?? ApiResults.Json(AgentGraphDescription.Graph());
    }

    private static async Task<IResult> GetSchemasAsync(string assistant_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, db, cancellationToken);
        return error ?? ApiResults.Json(AgentGraphDescription.Schemas(assistant!.GraphId));
    }

    private static async Task<IResult> GetSubgraphsAsync(string assistant_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (_, error) = await FindAsync(assistant_id, db, cancellationToken);
        return error ?? ApiResults.Json(new JsonObject());
    }

    private static async Task<IResult> ListVersionsAsync(string assistant_id, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var (search, searchError) = SearchRequest.Parse(body!, ["version"], AssistantJson.Fields);
        var (metadata, metadataError) = ApiRequest.OptionalObject(body!, "metadata");
        if ((searchError ?? metadataError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var query = db.AssistantVersions.AsNoTracking().Where(v => v.AssistantId == assistant!.AssistantId);
        if (metadata is not null)
        {
            var filter = metadata.ToJsonString();
            query = query.Where(v => EF.Functions.JsonContains(v.Metadata, filter));
        }

        var versions = await (search!.Descending ? query.OrderByDescending(v => v.Version) : query.OrderBy(v => v.Version))
            .Skip(search.Offset).Take(search.Limit).ToListAsync(cancellationToken);
        if (versions.Count == 0 && search.Offset == 0 && metadata is null)
        {
            // System assistants are seeded without version rows: their one version is what they are.
            versions.Add(VersionOf(assistant!, assistant!.UpdatedAt));
        }

        return ApiResults.Json(new JsonArray(versions.Select(v => (JsonNode)search.Project(AssistantJson.From(v))).ToArray()));
    }

    private static async Task<IResult> SetLatestAsync(
        string assistant_id, HttpRequest request, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, db, cancellationToken, tracked: true);
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

        if (body!["version"] is not JsonValue value || !value.TryGetValue<int>(out var number))
        {
            return ApiResults.Unprocessable("version must be an integer.");
        }

        var version = await db.AssistantVersions.AsNoTracking()
            .SingleOrDefaultAsync(v => v.AssistantId == assistant!.AssistantId && v.Version == number, cancellationToken);
        if (version is null)
        {
            return ApiResults.NotFound($"Assistant {assistant!.AssistantId} has no version {number}.");
        }

        assistant!.GraphId = version.GraphId;
        assistant.Name = version.Name;
        assistant.Description = version.Description;
        assistant.Config = version.Config;
        assistant.Context = version.Context;
        assistant.Metadata = version.Metadata;
        assistant.Version = version.Version;
        assistant.UpdatedAt = timeProvider.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return ApiResults.Json(AssistantJson.From(assistant));
    }

    private static (IQueryable<Assistant> Query, string? Error) Filter(JsonObject body, AgentDbContext db)
    {
        IQueryable<Assistant> query = db.Assistants.AsNoTracking();
        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        if (metadataError is not null)
        {
            return (query, metadataError);
        }

        if (metadata is { Count: > 0 })
        {
            var filter = metadata.ToJsonString();
            query = query.Where(a => EF.Functions.JsonContains(a.Metadata, filter));
        }

        if (ApiRequest.Text(body, "graph_id") is { } graphId)
        {
            query = query.Where(a => a.GraphId == graphId);
        }

        if (ApiRequest.Text(body, "name") is { Length: > 0 } name)
        {
            // LangGraph matches names by case-insensitive substring.
            var pattern = "%" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
                .Replace("_", "\\_", StringComparison.Ordinal) + "%";
            query = query.Where(a => EF.Functions.ILike(a.Name, pattern));
        }

        return (query, null);
    }

    private static (AssistantFields Fields, string? Error) ReadFields(JsonObject body)
    {
        var (config, configError) = body.ContainsKey("config") ? AssistantConfig.Validate(body["config"]) : (null, null);
        var (context, contextError) = ApiRequest.OptionalObject(body, "context");
        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        var error = configError ?? contextError ?? metadataError;
        if (error is not null)
        {
            return (default, error);
        }

        if (body["name"] is { } nameNode && (nameNode is not JsonValue nv || !nv.TryGetValue<string>(out var n) || n.Length is 0 or > 200))
        {
            return (default, "name must be a string of 1 to 200 characters.");
        }

        if (body["description"] is { } descriptionNode && (descriptionNode is not JsonValue dv || !dv.TryGetValue<string>(out _)))
        {
            return (default, "description must be a string.");
        }

        return (new AssistantFields(
            ApiRequest.Text(body, "name"),
            ApiRequest.Text(body, "description"),
            config,
            (JsonObject?)context?.DeepClone(),
            (JsonObject?)metadata?.DeepClone()), null);
    }

    private static async Task<(Assistant? Assistant, IResult? Error)> FindAsync(
        string assistantIdText, AgentDbContext db, CancellationToken cancellationToken, bool tracked = false)
    {
        // Like run creation, a graph name stands for the graph's system assistant.
        var id = Guid.TryParse(assistantIdText, out var parsed)
            ? parsed
            : SystemAssistants.GraphIds.Contains(assistantIdText) ? SystemAssistants.IdFor(assistantIdText) : Guid.Empty;
        if (id == Guid.Empty)
        {
            return (null, ApiResults.NotFound($"Assistant '{ApiRequest.Truncate(assistantIdText)}' not found."));
        }

        var assistants = tracked ? db.Assistants : db.Assistants.AsNoTracking();
        var assistant = await assistants.SingleOrDefaultAsync(a => a.AssistantId == id, cancellationToken);
        return assistant is null ? (null, ApiResults.NotFound($"Assistant {id} not found.")) : (assistant, null);
    }

    private static IResult ReadOnly(Assistant assistant) => ApiResults.Problem(
        StatusCodes.Status409Conflict,
        $"Assistant {assistant.AssistantId} is the system assistant of graph '{assistant.GraphId}', shared by every tenant " +
        "and read-only; create your own with POST /assistants.");

    private static AssistantVersion VersionOf(Assistant assistant, DateTimeOffset now) => new()
    {
        AssistantId = assistant.AssistantId,
        Version = assistant.Version,
        TenantId = assistant.TenantId,
        GraphId = assistant.GraphId,
        Name = assistant.Name,
        Description = assistant.Description,
        Config = assistant.Config,
        Context = assistant.Context,
        Metadata = assistant.Metadata,
        CreatedAt = now,
    };

    private readonly record struct AssistantFields(
        string? Name, string? Description, JsonObject? Config, JsonObject? Context, JsonObject? Metadata);
}
