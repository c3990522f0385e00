using Agent.Persistence.ApiKeys;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Hosting;

/// <summary>
/// Implements <c>keys create|list|revoke</c>: API key administration from the command line, for any tenant (the
/// worker's context is unscoped). This is how a tenant gets its first key; afterwards a key with the <c>admin</c>
/// scope can manage its own tenant's keys over HTTP (<c>/admin/api-keys</c>).
/// </summary>
internal static class ApiKeyCommands
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        keys create --tenant TENANT --name NAME [--scopes read,write,admin]   (default scopes: read,write)
        keys list [--tenant TENANT]
        keys revoke KEY_ID
        """;

    /// <summary>Runs a <c>keys</c> subcommand.</summary>
    /// <param name="builder">The host builder (persistence already added).</param>
    /// <param name="args">The whole command line, starting with <c>keys</c>.</param>
    /// <returns>The exit code: 0 done, 1 no such key, 2 bad usage.</returns>
    public static async Task<int> RunAsync(HostApplicationBuilder builder, string[] args)
    {
        var words = args.SkipWhile(a => a != "keys").Skip(1).ToArray();
        var subcommand = words.FirstOrDefault(w => !w.StartsWith('-'));
        using var host = builder.Build();
        await using var scope = host.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<ApiKeyStore>();
        try
        {
            switch (subcommand)
            {
                case "create":
                {
                    var tenant = Option(words, "--tenant");
                    var name = Option(words, "--name");
                    if (tenant is null || name is null)
                    {
                        return UsageError("keys create needs --tenant and --name.");
                    }

                    var (scopes, error) = ApiKeyScopes.Parse(Option(words, "--scopes") ?? string.Join(',', ApiKeyScopes.Default));
                    if (error is not null)
                    {
                        return UsageError(error);
                    }

                    var (row, key) = await store.CreateAsync(tenant, name, scopes, CancellationToken.None);
                    await Console.Out.WriteLineAsync($"key_id:  {row.KeyId}\ntenant:  {row.TenantId}\nscopes:  {row.Scopes}\nname:    {row.Name}");
                    await Console.Out.WriteLineAsync("The key (shown once; store it now):");
                    await Console.Out.WriteLineAsync(key);
                    return 0;
                }

                case "list":
                {
                    var keys = await store.ListAsync(Option(words, "--tenant"), CancellationToken.None);
                    await Console.Out.WriteLineAsync($"{"key_id",-36}  {"tenant",-20}  {"scopes",-17}  {"created_at",-20}  {"revoked_at",-20}  name");
                    foreach (var k in keys)
                    {
                        await Console.Out.WriteLineAsync(
                            $"{k.KeyId,-36}  {k.TenantId,-20}  {k.Scopes,-17}  {k.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}  " +
                            $"{(k.RevokedAt is { } r ? r.ToString("yyyy-MM-ddTHH:mm:ssZ") : "-"),-20}  {k.Name}");
                    }

                    return 0;
                }

                case "revoke":
                {
                    var id = words.Skip(1).FirstOrDefault(w => !w.StartsWith('-'));
                    if (!Guid.TryParse(id, out var keyId))
                    {
                        return UsageError("keys revoke needs a key id (a uuid; see keys list).");
                    }

                    var revoked = await store.RevokeAsync(keyId, CancellationToken.None);
                    if (revoked is null)
                    {
                        await Console.Error.WriteLineAsync($"keys: no key {keyId}.");
                        return 1;
                    }

                    await Console.Out.WriteLineAsync(
                        $"revoked {keyId} (tenant {revoked.TenantId}) at {revoked.RevokedAt:yyyy-MM-ddTHH:mm:ssZ}; " +
                        "API replicas refuse it within Auth:KeyCacheSeconds (default 5 s).");
                    return 0;
                }

                default:
                    return UsageError(subcommand is null ? "keys needs a subcommand." : $"unknown subcommand '{subcommand}'.");
            }
        }
        catch (ArgumentException ex)
        {
            return UsageError(ex.Message);
        }
    }

    private static string? Option(string[] words, string name)
    {
        var index = Array.IndexOf(words, name);
        return index >= 0 && index + 1 < words.Length ? words[index + 1] : null;
    }

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"keys: {message}\nUsage:\n{Usage}");
        return 2;
    }
}
