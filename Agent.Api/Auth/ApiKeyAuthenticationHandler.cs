using System.Text.Encodings.Web;
using Agent.Persistence.ApiKeys;
using Agent.Persistence.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Agent.Api.Auth;

/// <summary>
/// The <c>ApiKey</c> authentication scheme: reads the key from <c>x-api-key</c> (what the LangGraph SDKs send) or
/// <c>Authorization: Bearer</c>, and signs the caller in with its tenant and scopes. With
/// <see cref="AgentAuthOptions.Disabled"/> every caller is tenant <see cref="AgentTenants.Default"/> with every scope.
/// </summary>
/// <param name="options">The scheme options.</param>
/// <param name="logger">The logger factory.</param>
/// <param name="encoder">The URL encoder.</param>
/// <param name="authOptions">The authentication settings.</param>
/// <param name="authenticator">Checks keys.</param>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOptions<AgentAuthOptions> authOptions, ApiKeyAuthenticator authenticator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The header the LangGraph SDKs send the key in.</summary>
    public const string ApiKeyHeader = "x-api-key";

    /// <summary>The detail of a 401 without a key.</summary>
    public const string MissingKeyDetail = "An API key is required: send it in the x-api-key header or as Authorization: Bearer <key>.";

    /// <summary>The detail of a 401 with an unknown, malformed or revoked key.</summary>
    public const string InvalidKeyDetail = "The API key is invalid or has been revoked.";

    private const int MaxKeyLength = 512;

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (authOptions.Value.Disabled)
        {
            var anonymous = new ApiCaller("anonymous", AgentTenants.Default, ApiKeyScopes.All);
            return AuthenticateResult.Success(new AuthenticationTicket(anonymous.ToPrincipal(SchemeName), SchemeName));
        }

        var key = ReadKey(Request);
        if (key is null)
        {
            return AuthenticateResult.NoResult();
        }

        // A key longer than any real one is refused before hashing, so the header cannot be used to burn CPU.
        var caller = key.Length <= MaxKeyLength ? await authenticator.AuthenticateAsync(key, Context.RequestAborted) : null;
        return caller is null
            ? AuthenticateResult.Fail(InvalidKeyDetail)
            : AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(SchemeName), SchemeName));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await AgentAuthorizationResultHandler.WriteUnauthorizedAsync(Context, result.Failure?.Message ?? MissingKeyDetail);
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        AgentAuthorizationResultHandler.WriteForbiddenAsync(Context, "This API key may not do this.");

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(ApiKeyHeader, out var header) && header.ToString() is { Length: > 0 } apiKey)
        {
            return apiKey.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization[7..].Trim() is { Length: > 0 } bearer
            ? bearer
            : null;
    }
}
