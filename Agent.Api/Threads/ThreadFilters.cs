using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Threads;
using Agent.Persistence.Wire;

namespace Agent.Api.Threads;

/// <summary>Reads the thread filters of <c>POST /threads/search</c> and <c>POST /threads/count</c> (reference section 2.1).</summary>
internal static class ThreadFilters
{
    /// <summary>Reads the filters of a search or count body: <c>metadata</c>, <c>status</c> and <c>ids</c>.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The filter, or a 422 detail naming the field at fault.</returns>
    public static (ThreadFilter? Filter, string? Error) Read(JsonObject body)
    {
        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        if (metadataError is not null)
        {
            return (null, metadataError);
        }

        if (body["values"] is JsonObject { Count: > 0 })
        {
            return (null, "values is not supported as a filter by this server: state lives in checkpoints, not in the thread row.");
        }

        AgentThreadStatus? status = null;
        if (body["status"] is not null)
        {
            if (!WireName.TryParse<AgentThreadStatus>(ApiRequest.Text(body, "status"), out var parsedStatus))
            {
                return (null, $"status must be one of {string.Join(", ", WireName.All<AgentThreadStatus>())}.");
            }

            status = parsedStatus;
        }

        var (ids, idsError) = ApiRequest.StringList(body, "ids");
        if (idsError is not null)
        {
            return (null, idsError);
        }

        List<Guid>? parsed = null;
        if (ids is not null)
        {
            parsed = new List<Guid>(ids.Count);
            foreach (var id in ids)
            {
                if (!Guid.TryParse(id, out var threadId))
                {
                    return (null, $"ids must be thread UUIDs, got '{ApiRequest.Truncate(id)}'.");
                }

                parsed.Add(threadId);
            }
        }

        return (new ThreadFilter(metadata is { Count: > 0 } ? metadata.ToJsonString() : null, status, parsed), null);
    }
}
