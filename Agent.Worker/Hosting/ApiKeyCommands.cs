using System.CommandLine;
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

    /// <summary>Builds the <c>keys</c> command. Exit codes: 0 done, 1 no such key, 2 bad usage.</summary>
    /// <param name="builder">Makes the host builder (persistence added) when a subcommand runs.</param>
    /// <returns>The command.</returns>
    public static Command Create(Func<HostApplicationBuilder> builder)
    {
        var tenant = new Option<string?>("--tenant") { Description = "The tenant." };
        var name = new Option<string?>("--name") { Description = "The key's name." };
        var scopes = new Option<string?>("--scopes") { Description = "Comma-separated scopes; default read,write." };
        var create = new Command("create", "Creates a key and prints it once.") { tenant, name, scopes };
        create.SetAction((parse, _) => WithStoreAsync(builder, store => CreateAsync(
            store, parse.GetValue(tenant), parse.GetValue(name), parse.GetValue(scopes))));

        var listTenant = new Option<string?>("--tenant") { Description = "Only this tenant's keys." };
        var list = new Command("list", "Lists keys (never the keys themselves).") { listTenant };
        list.SetAction((parse, _) => WithStoreAsync(builder, store => ListAsync(store, parse.GetValue(listTenant))));

        var keyId = new Argument<string?>("KEY_ID") { Description = "The key id (a uuid; see keys list).", Arity = ArgumentArity.ZeroOrOne };
        var revoke = new Command("revoke", "Revokes a key.") { keyId };
        revoke.SetAction((parse, _) => WithStoreAsync(builder, store => RevokeAsync(store, parse.GetValue(keyId))));

        var keys = new Command("keys", "Manages API keys.") { create, list, revoke };
        keys.SetAction((_, _) => Task.FromResult(UsageError("keys needs a subcommand.")));
        return keys;
    }

    private static async Task<int> WithStoreAsync(Func<HostApplicationBuilder> builder, Func<ApiKeyStore, Task<int>> command)
    {
        using var host = builder().Build();
        await using var scope = host.Services.CreateAsyncScope();
        try
        {
            return await command(scope.ServiceProvider.GetRequiredService<ApiKeyStore>());
        }
        catch (ArgumentException ex)
        {
            return UsageError(ex.Message);
        }
    }

    private static async Task<int> CreateAsync(ApiKeyStore store, string? tenant, string? name, string? scopeList)
    {
        if (tenant is null || name is null)
        {
            return UsageError("keys create needs --tenant and --name.");
        }

        var (scopes, error) = ApiKeyScopes.Parse(scopeList ?? string.Join(',', ApiKeyScopes.Default));
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

    private static async Task<int> ListAsync(ApiKeyStore store, string? tenant)
    {
        var keys = await store.ListAsync(tenant, CancellationToken.None);
        await Console.Out.WriteLineAsync($"{"key_id",-36}  {"tenant",-20}  {"scopes",-17}  {"created_at",-20}  {"revoked_at",-20}  name");
        foreach (var k in keys)
        {
            await Console.Out.WriteLineAsync(
                $"{k.KeyId,-36}  {k.TenantId,-20}  {k.Scopes,-17}  {k.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}  " +
                $"{(k.RevokedAt is { } r ? r.ToString("yyyy-MM-ddTHH:mm:ssZ") : "-"),-20}  {k.Name}");
        }

        return 0;
    }

    private static async Task<int> RevokeAsync(ApiKeyStore store, string? id)
    {
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

    private static int UsageError(string message)
    {
        Console.Error.WriteLine($"keys: {message}\nUsage:\n{Usage}");
        return 2;
    }
}
