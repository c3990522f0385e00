using Agent.Persistence.Tenancy;

namespace Agent.Api.Auth;

/// <summary>
/// Resolves the caller of each request and scopes the request to the caller's tenant.
/// </summary>
public static class AgentAuthenticationExtensions
{
    /// <summary>Registers the per-request <see cref="CallerTenant"/> as the <see cref="ICallerTenant"/> of the database context.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddAgentAuthentication(this IServiceCollection services)
    {
        services.AddScoped<CallerTenant>();
        services.AddScoped<ICallerTenant>(sp => sp.GetRequiredService<CallerTenant>());
        return services;
    }

    /// <summary>
    /// Adds the middleware that sets the request's tenant. Until API keys exist every caller is the
    /// <see cref="AgentTenants.Default"/> tenant.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static WebApplication UseAgentAuthentication(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.RequestServices.GetRequiredService<CallerTenant>().TenantId = AgentTenants.Default;
            return next(context);
        });
        return app;
    }
}
