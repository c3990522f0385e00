using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Assistants;
using Agent.Persistence.Graphs;

namespace Agent.Api.Assistants;

/// <content>The read endpoints: search, count, graph, schemas, subgraphs; and versions (list, make latest).</content>
internal static partial class AssistantsApi
{
    private static readonly string[] SortFields = ["created_at", "updated_at", "assistant_id", "graph_id", "name"];

    private static async Task<IResult> SearchAsync(HttpResponse response, HttpRequest request, AssistantStore assistants, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (search, searchError) = SearchRequest.Parse(body!, SortFields, AssistantJson.Fields);
        var (filter, filterError) = ReadFilter(body!);
        if ((searchError ?? filterError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        // One more than asked tells whether there is a next page (X-Pagination-Next, read by the JS SDK).
        var page = await assistants.SearchAsync(filter!, search!.SortBy, search.Descending, search.Offset, search.Limit + 1, cancellationToken);
        if (page.Count > search.Limit)
        {
            response.Headers["X-Pagination-Next"] = (search.Offset + search.Limit).ToString();
            page.RemoveAt(page.Count - 1);
        }

        return ApiResults.Json(new JsonArray(page.Select(a => (JsonNode)search.Project(AssistantJson.From(a))).ToArray()));
    }

    private static Task<IResult> CountAsync(HttpRequest request, AssistantStore assistants, CancellationToken cancellationToken) =>
        ApiRequest.CountAsync(request, ReadFilter, assistants.CountAsync, cancellationToken);

    // The graph as a worker published it (agent.graphs); the built-in agent is drawn before any worker has started.
    private static async Task<IResult> GetGraphAsync(
        string assistant_id, AssistantStore assistants, DeployedGraphStore graphs, CancellationToken cancellationToken)
    {
        var (_, deployed, error) = await FindGraphAsync(assistant_id, assistants, graphs, cancellationToken);
        return error ?? ApiResults.Json(deployed is null ? AgentGraphDescription.Graph() : JsonNode.Parse(deployed.Graph));
    }

    private static async Task<IResult> GetSchemasAsync(
        string assistant_id, AssistantStore assistants, DeployedGraphStore graphs, CancellationToken cancellationToken)
    {
        var (assistant, deployed, error) = await FindGraphAsync(assistant_id, assistants, graphs, cancellationToken);
        var channels = deployed is null ? [] : JsonNode.Parse(deployed.Channels)!.AsArray().Select(c => c!.GetValue<string>()).ToList();
        return error ?? ApiResults.Json(AgentGraphDescription.Schemas(assistant!.GraphId, channels, GraphToolset.From(deployed)));
    }

    // The assistant and its graph's catalogue row; null row for the built-in agent that no worker has published yet.
    private static async Task<(Assistant? Assistant, DeployedGraph? Deployed, IResult? Error)> FindGraphAsync(
        string assistantId, AssistantStore assistants, DeployedGraphStore graphs, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistantId, assistants, cancellationToken);
        if (error is not null)
        {
            return (null, null, error);
        }

        var deployed = await graphs.FindAsync(assistant!.GraphId, cancellationToken);
        return deployed is null && assistant.GraphId != SystemAssistants.AgentGraphId
            ? (null, null, NotDeployed(assistant.GraphId))
            : (assistant, deployed, null);
    }

    private static IResult NotDeployed(string graphId) =>
        ApiResults.NotFound($"Graph '{ApiRequest.Truncate(graphId)}' is not deployed: no worker has published it.");

    // LangGraph's get_subgraphs: {namespace: GraphSchema}, a namespace being the node that runs the subgraph, nested ones
    // joined by "|" (only with recurse=true); a namespace in the path selects that one (nested ones reachable through it).
    private static Task<IResult> GetSubgraphsAsync(
        string assistant_id, bool? recurse, AssistantStore assistants, DeployedGraphStore graphs, CancellationToken cancellationToken) =>
        SubgraphsAsync(assistant_id, null, recurse is true, assistants, graphs, cancellationToken);

    private static Task<IResult> GetSubgraphsAtAsync(
        string assistant_id, string @namespace, bool? recurse, AssistantStore assistants, DeployedGraphStore graphs, CancellationToken cancellationToken) =>
        SubgraphsAsync(assistant_id, @namespace, recurse is true, assistants, graphs, cancellationToken);

    private static async Task<IResult> SubgraphsAsync(
        string assistantId, string? selected, bool recurse, AssistantStore assistants, DeployedGraphStore graphs, CancellationToken cancellationToken)
    {
        var (_, deployed, error) = await FindGraphAsync(assistantId, assistants, graphs, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var result = new JsonObject();
        // Depth-first, at most as deep as there are deployed graphs (a cycle of AddSubgraph declarations stops there).
        var known = new Dictionary<string, DeployedGraph>(StringComparer.Ordinal);
        async Task AddAsync(DeployedGraph? graph, string prefix, int depth)
        {
            foreach (var (node, target) in graph is null ? [] : JsonNode.Parse(graph.Subgraphs) as JsonObject ?? [])
            {
                var ns = prefix + node;
                var graphId = target?.GetValue<string>() ?? string.Empty;
                if (!known.TryGetValue(graphId, out var sub) && (await graphs.FindManyAsync([graphId], cancellationToken)).TryGetValue(graphId, out var found))
                {
                    known[graphId] = sub = found;
                }

                var deep = selected is not null ? selected.StartsWith(ns + "|", StringComparison.Ordinal) : recurse;
                if (selected is null || selected == ns)
                {
                    var channels = sub is null ? [] : JsonNode.Parse(sub.Channels)!.AsArray().Select(c => c!.GetValue<string>()).ToList();
                    result[ns] = AgentGraphDescription.Schemas(graphId, channels, GraphToolset.From(sub));
                }

                if (deep && depth < 16)
                {
                    await AddAsync(sub, ns + "|", depth + 1);
                }
            }
        }

        await AddAsync(deployed, string.Empty, 0);
        return ApiResults.Json(result);
    }

    private static async Task<IResult> ListVersionsAsync(
        string assistant_id, HttpRequest request, AssistantStore assistants, CancellationToken cancellationToken)
    {
        var (assistant, error) = await FindAsync(assistant_id, assistants, cancellationToken);
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
        var (filter, filterError) = WireBody.Read(body!, AssistantsJsonContext.Default.AssistantFilterBody);
        if ((searchError ?? filterError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var metadata = filter!.Metadata;
        var versions = await assistants.VersionsAsync(
            assistant!.AssistantId, metadata?.ToJsonString(), search!.Descending, search.Offset, search.Limit, cancellationToken);
        if (versions.Count == 0 && search.Offset == 0 && metadata is null)
        {
            // System assistants are seeded without version rows: their one version is what they are.
            versions.Add(AssistantStore.VersionOf(assistant, assistant.UpdatedAt));
        }

        return ApiResults.Json(new JsonArray(versions.Select(v => (JsonNode)search.Project(AssistantJson.From(v))).ToArray()));
    }

    private static async Task<IResult> SetLatestAsync(
        string assistant_id, HttpRequest request, AssistantStore assistants, TimeProvider timeProvider, CancellationToken cancellationToken)
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

        var (latest, invalid) = WireBody.Read(body!, AssistantsJsonContext.Default.AssistantLatestBody);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var number = latest!.Version;
        var updated = await assistants.SetLatestAsync(assistant!, number, timeProvider.GetUtcNow(), cancellationToken);
        return updated is null
            ? ApiResults.NotFound($"Assistant {assistant!.AssistantId} has no version {number}.")
            : ApiResults.Json(AssistantJson.From(updated));
    }

    private static (AssistantFilter? Filter, string? Error) ReadFilter(JsonObject body)
    {
        var (wire, error) = WireBody.Read(body, AssistantsJsonContext.Default.AssistantFilterBody);
        return error is not null
            ? (null, error)
            : (new AssistantFilter(wire!.Metadata is { Count: > 0 } metadata ? metadata.ToJsonString() : null, wire.GraphId, wire.Name), null);
    }
}
