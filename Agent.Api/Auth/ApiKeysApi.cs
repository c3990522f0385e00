using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Tenancy;
using Agent.Persistence.ApiKeys;

namespace Agent.Api.Auth;

/// <summary>
/// Maps the key administration endpoints (scope <c>admin</c>), each limited to the caller's own tenant:
/// <c>GET /admin/api-keys</c>, <c>POST /admin/api-keys</c> <c>{"name", "scopes"}</c> (the answer holds the key, shown
/// this once), <c>DELETE /admin/api-keys/{key_id}</c> (revokes). Not part of the LangGraph API.
/// </summary>
internal static class ApiKeysApi
{
    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The group.</returns>
    public static RouteGroupBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/admin/api-keys").WithTags("Admin").RequireScope(ApiKeyScopes.Admin);
        group.MapGet("/", ListAsync).WithName("ListApiKeys").WithSummary("Lists the tenant's API keys (never the keys themselves).");
        group.MapPost("/", CreateAsync).WithName("CreateApiKey").WithSummary("Creates an API key for the caller's tenant; the answer's key is shown once.");
        group.MapDelete("/{key_id}", RevokeAsync).WithName("RevokeApiKey").WithSummary("Revokes an API key of the caller's tenant.");
        return group;
    }

    /// <summary>Builds the JSON of a key: <c>{key_id, tenant_id, name, scopes, created_at, revoked_at}</c>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The object.</returns>
    public static JsonObject Json(ApiKey key) => new()
    {
        ["key_id"] = key.KeyId.ToString(),
        ["tenant_id"] = key.TenantId,
        ["name"] = key.Name,
        ["scopes"] = new JsonArray(ApiKeyScopes.Parse(key.Scopes).Scopes.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
        ["created_at"] = key.CreatedAt,
        ["revoked_at"] = key.RevokedAt,
    };

    private static async Task<IResult> ListAsync(ApiKeyStore store, CancellationToken cancellationToken)
    {
        var keys = await store.ListAsync(tenantId: null, cancellationToken);
        return ApiResults.Json(new JsonArray(keys.Select(k => (JsonNode)Json(k)).ToArray()));
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, ApiKeyStore store, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (body!["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var name) || string.IsNullOrWhiteSpace(name)
            || name.Length > ApiKeySecret.MaxNameLength)
        {
            return ApiResults.Unprocessable($"name is required: 1 to {ApiKeySecret.MaxNameLength} characters saying who or what uses the key.");
        }

        var scopesText = body["scopes"] switch
        {
            null => string.Join(' ', ApiKeyScopes.Default),
            JsonValue v when v.TryGetValue<string>(out var text) => text,
            JsonArray list when list.All(i => i is JsonValue iv && iv.TryGetValue<string>(out _)) =>
                string.Join(' ', list.Select(i => i!.GetValue<string>())),
            _ => null,
        };
        var (scopes, scopeError) = scopesText is null ? ([], "scopes must be a list of strings.") : ApiKeyScopes.Parse(scopesText);
        if (scopeError is not null)
        {
            return ApiResults.Unprocessable("scopes: " + scopeError);
        }

        var (row, key) = await store.CreateAsync(caller.TenantId!, name, scopes, cancellationToken);
        var json = Json(row);
        json["key"] = key;
        return ApiResults.Json(json);
    }

    private static async Task<IResult> RevokeAsync(string key_id, ApiKeyStore store, ApiKeyAuthenticator authenticator, CancellationToken cancellationToken)
    {
        var (keyId, error) = ApiRequest.ParseId(key_id, "key_id");
        if (error is not null)
        {
            return error;
        }

        var revoked = await store.RevokeAsync(keyId, cancellationToken);
        if (revoked is null)
        {
            return ApiResults.NotFound($"API key {keyId} not found.");
        }

        authenticator.Forget(keyId);
        return ApiResults.Json(Json(revoked));
    }
}
