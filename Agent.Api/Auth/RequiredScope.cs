using Agent.Persistence.ApiKeys;

namespace Agent.Api.Auth;

/// <summary>
/// Endpoint metadata naming the scope an endpoint needs, overriding the default that
/// <see cref="ScopeAuthorizationHandler"/> derives from the HTTP method.
/// </summary>
/// <param name="Scope">The scope (see <see cref="ApiKeyScopes"/>).</param>
internal sealed record RequiredScope(string Scope);

/// <summary>
/// Adds <see cref="RequiredScope"/> to endpoints.
/// </summary>
internal static class RequiredScopeExtensions
{
    /// <summary>Requires a scope for the endpoints.</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="scope">The scope (see <see cref="ApiKeyScopes"/>).</param>
    /// <returns>The builder.</returns>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredScope(scope));
}
