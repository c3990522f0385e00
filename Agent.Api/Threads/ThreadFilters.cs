using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <summary>Reads and validates the thread filters of <c>POST /threads/search</c> and <c>POST /threads/count</c> (reference section 2.1).</summary>
internal static class ThreadFilters
{
    /// <summary>Reads the filters of a count body: <c>metadata</c>, <c>values</c>, <c>status</c> and <c>ids</c>.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The filter, or a 422 detail naming the field at fault.</returns>
    public static (ThreadFilter? Filter, string? Error) Read(JsonObject body)
    {
        var (wire, error) = WireBody.Read(body, ThreadsJsonContext.Default.ThreadFilterBody);
        return error is not null ? (null, error) : Validate(wire!);
    }

    /// <summary>Reads the filters of a search body: a count's, and <c>extract</c> (refused).</summary>
    /// <param name="body">The body.</param>
    /// <returns>The filter, or a 422 detail naming the field at fault.</returns>
    public static (ThreadFilter? Filter, string? Error) ReadSearch(JsonObject body)
    {
        var (wire, error) = WireBody.Read(body, ThreadsJsonContext.Default.ThreadSearchBody);
        return error is not null ? (null, error) : Validate(wire!);
    }

    private static (ThreadFilter? Filter, string? Error) Validate(ThreadFilterBody wire)
    {
        if (wire.Values is JsonObject { Count: > 0 })
        {
            return (null, "values is not supported as a filter by this server: state lives in checkpoints, not in the thread row.");
        }

        List<Guid>? ids = null;
        if (wire.Ids is not null)
        {
            ids = new List<Guid>(wire.Ids.Count);
            foreach (var id in wire.Ids)
            {
                if (!Guid.TryParse(id, out var threadId))
                {
                    return (null, $"ids must be thread UUIDs, got '{ApiRequest.Truncate(id)}'.");
                }

                ids.Add(threadId);
            }
        }

        return (new ThreadFilter(wire.Metadata is { Count: > 0 } metadata ? metadata.ToJsonString() : null, wire.Status, ids), null);
    }
}
