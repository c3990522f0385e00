using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Agent.Api.Http;
using Agent.Persistence.Store;
using Agent.Persistence.Tenancy;

namespace Agent.Api.Store;

/// <summary>
/// Maps LangGraph's long-term memory store (reference sections 2 and 7.3; the JS SDK's <c>client.store</c>):
/// <c>PUT</c>, <c>GET</c> and <c>DELETE /store/items</c>, <c>POST /store/items/search</c> and
/// <c>POST /store/namespaces</c>. Every item belongs to the caller's tenant: another tenant's item answers 404 on
/// <c>GET</c> and is never found by a search or listed.
/// </summary>
/// <remarks>
/// <c>ttl</c> is in minutes; reads refresh it unless <c>refresh_ttl</c> is false, and the worker's store sweeper
/// deletes expired items (an expired item is invisible at once). Bad input is a 422 naming the field.
/// </remarks>
internal static class StoreApi
{
    /// <summary>The longest search <c>query</c>, in characters: 1,000.</summary>
    public const int MaxQueryLength = 1000;

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapStoreApi(this IEndpointRouteBuilder app)
    {
        var store = app.MapGroup("/store").WithTags("Store");
        store.MapPut("/items", PutAsync).WithName("PutStoreItem").WithSummary("Stores or replaces an item.");
        store.MapGet("/items", GetAsync).WithName("GetStoreItem").WithSummary("Gets an item.");
        store.MapDelete("/items", DeleteAsync).WithName("DeleteStoreItem").WithSummary("Deletes an item.");
        store.MapPost("/items/search", SearchAsync).WithName("SearchStoreItems").WithSummary("Searches items under a namespace prefix.");
        store.MapPost("/namespaces", ListNamespacesAsync).WithName("ListStoreNamespaces").WithSummary("Lists namespaces.");
        return app;
    }

    private static async Task<IResult> PutAsync(HttpRequest request, ItemStore items, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadAsync(request, StoreJsonContext.Default.StorePutRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var invalid = StoreNamespace.CheckItem(body!.Namespace, "namespace", writing: true)
                      ?? StoreNamespace.CheckKey(body.Key)
                      ?? (body.Value is null ? "value is required: a JSON object." : null)
                      ?? StoreIndexText.Check(body.Index)
                      ?? StoreTtl.Check(body.Ttl);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        await items.PutAsync(caller.TenantId!, body.Namespace!, body.Key!, body.Value!, body.Index, body.Ttl, cancellationToken);
        return TypedResults.NoContent();
    }

    // GET /store/items?namespace=a.b&key=k&refresh_ttl=false: the SDKs join the labels with '.', which is why a label
    // may not contain one.
    private static async Task<IResult> GetAsync(HttpRequest request, ItemStore items, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var namespaceText = request.Query["namespace"].ToString();
        var key = request.Query["key"].ToString();
        var refreshText = request.Query["refresh_ttl"].ToString();
        bool? refresh = refreshText.Length == 0 ? true : bool.TryParse(refreshText, out var parsed) ? parsed : null;
        string[] labels = namespaceText.Length == 0 ? [] : namespaceText.Split('.');
        var invalid = StoreNamespace.CheckItem(labels, "namespace")
                      ?? StoreNamespace.CheckKey(key)
                      ?? (refresh is null ? $"refresh_ttl must be true or false, got '{ApiRequest.Truncate(refreshText)}'." : null);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var item = await items.GetAsync(caller.TenantId!, labels, key, refresh!.Value, cancellationToken);
        return item is null
            ? ApiResults.NotFound($"Item '{ApiRequest.Truncate(key)}' not found in namespace '{ApiRequest.Truncate(namespaceText)}'.")
            : TypedResults.Json(
                new StoreItemResource(item.Namespace, item.Key, ParseValue(item.Value), item.CreatedAt, item.UpdatedAt),
                StoreJsonContext.Default.StoreItemResource);
    }

    private static async Task<IResult> DeleteAsync(HttpRequest request, ItemStore items, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadAsync(request, StoreJsonContext.Default.StoreDeleteRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if ((StoreNamespace.CheckItem(body!.Namespace, "namespace") ?? StoreNamespace.CheckKey(body.Key)) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        await items.DeleteAsync(caller.TenantId!, body.Namespace!, body.Key!, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> SearchAsync(HttpRequest request, ItemStore items, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadAsync(request, StoreJsonContext.Default.StoreSearchRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var invalid = StoreNamespace.CheckPrefix(body!.NamespacePrefix, "namespace_prefix")
                      ?? Page(body.Limit, body.Offset)
                      ?? (body.Query is { Length: > MaxQueryLength } q ? $"query is {q.Length} characters; at most {MaxQueryLength} are accepted." : null);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var search = new StoreSearch(
            body.NamespacePrefix ?? [], body.Filter, body.Query, body.Limit ?? 10, body.Offset ?? 0, body.RefreshTtl ?? true);
        var hits = await items.SearchAsync(caller.TenantId!, search, cancellationToken);
        var page = hits.Select(h => new StoreSearchItemResource(h.Namespace, h.Key, ParseValue(h.Value), h.CreatedAt, h.UpdatedAt, h.Score)).ToList();
        return TypedResults.Json(new StoreSearchResponse(page), StoreJsonContext.Default.StoreSearchResponse);
    }

    private static async Task<IResult> ListNamespacesAsync(HttpRequest request, ItemStore items, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadAsync(request, StoreJsonContext.Default.StoreNamespacesRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var invalid = StoreNamespace.CheckPrefix(body!.Prefix, "prefix")
                      ?? StoreNamespace.CheckPrefix(body.Suffix, "suffix")
                      ?? (body.MaxDepth is { } depth && depth is not (>= 1 and <= StoreNamespace.MaxLabels)
                          ? $"max_depth must be an integer from 1 to {StoreNamespace.MaxLabels}."
                          : null)
                      ?? Page(body.Limit, body.Offset);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var query = new StoreNamespaceQuery(body.Prefix ?? [], body.Suffix ?? [], body.MaxDepth, body.Limit ?? 100, body.Offset ?? 0);
        var namespaces = await items.ListNamespacesAsync(caller.TenantId!, query, cancellationToken);
        return TypedResults.Json(new StoreNamespacesResponse(namespaces), StoreJsonContext.Default.StoreNamespacesResponse);
    }

    // The shared body checks (400 malformed, 413 too large, 422 not an object), then the record's field checks
    // (WireBody: unknown fields and wrong JSON types are a 422 naming the field).
    private static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }

        var (value, invalid) = WireBody.Read(body!, typeInfo);
        return invalid is null ? (value, null) : (null, ApiResults.Unprocessable(invalid));
    }

    private static string? Page(int? limit, int? offset) =>
        limit is { } l && l is not (>= 1 and <= SearchRequest.MaxLimit) ? $"limit must be an integer from 1 to {SearchRequest.MaxLimit}."
        : offset < 0 ? "offset must be 0 or more."
        : null;

    private static JsonObject ParseValue(string json) => JsonNode.Parse(json)?.AsObject() ?? [];
}
