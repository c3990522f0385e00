using Agent.Persistence.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Agent.Api.Auth;

/// <summary>
/// Wires API-key authentication, scope authorization and the request's tenant.
/// </summary>
public static class AgentAuthenticationExtensions
{
    /// <summary>
    /// Registers the <c>ApiKey</c> scheme, the scope policy that every endpoint gets unless it allows anonymous
    /// callers, the <c>{"detail"}</c> 401/403 writer, and the per-request <see cref="CallerTenant"/> as the
    /// <see cref="ICallerTenant"/> of the database context.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (section <c>Auth</c>, and <c>AGENT_BOOTSTRAP_API_KEY</c> / <c>AGENT_BOOTSTRAP_TENANT</c>).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddAgentAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AgentAuthOptions>()
            .Bind(configuration.GetSection(AgentAuthOptions.SectionName))
            .PostConfigure(o =>
            {
                o.BootstrapKey = NullIfEmpty(o.BootstrapKey) ?? NullIfEmpty(configuration[AgentAuthOptions.BootstrapKeyVariable]);
                o.BootstrapTenant = NullIfEmpty(o.BootstrapTenant) ?? NullIfEmpty(configuration[AgentAuthOptions.BootstrapTenantVariable])
                                    ?? AgentTenants.Default;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddSingleton<IAuthorizationHandler, ScopeAuthorizationHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AgentAuthorizationResultHandler>();
        services.AddAuthorization(authorization =>
        {
            var policy = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new ScopeRequirement())
                .Build();
            authorization.DefaultPolicy = policy;
            // Endpoints that say nothing still need a key: a new endpoint is closed until it opts out.
            authorization.FallbackPolicy = policy;
        });
        services.AddScoped<CallerTenant>();
        services.AddScoped<ICallerTenant>(sp => sp.GetRequiredService<CallerTenant>());
        return services;
    }

    /// <summary>
    /// Adds authentication, then the middleware that scopes the request to the caller's tenant, and logs a warning
    /// when authentication is off. Call <see cref="UseAgentAuthorization"/> after it (and after rate limiting).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static WebApplication UseAgentAuthentication(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AgentAuthOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AgentAuthenticationExtensions).FullName!);
        if (options.Disabled)
        {
            logger.LogWarning(
                "Authentication is DISABLED (Auth:Disabled=true): every caller is tenant '{Tenant}' with every scope. " +
                "Use this only on a machine nobody else can reach.", AgentTenants.Default);
        }
        else if (options.BootstrapKey is null)
        {
            logger.LogInformation(
                "No bootstrap API key ({Variable}); only keys created with 'Agent.Worker keys create' are accepted.",
                AgentAuthOptions.BootstrapKeyVariable);
        }

        app.UseAuthentication();
        app.Use((context, next) =>
        {
            // Unauthenticated requests keep the Unresolved tenant, which sees no rows and can write none.
            if (context.User.FindFirst(ApiCaller.TenantClaim)?.Value is { } tenant)
            {
                context.RequestServices.GetRequiredService<CallerTenant>().TenantId = tenant;
            }

            return next(context);
        });
        return app;
    }

    /// <summary>Adds authorization: the key's scopes against the endpoint's needs (401/403 with a detail).</summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static WebApplication UseAgentAuthorization(this WebApplication app)
    {
        app.UseAuthorization();
        return app;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
