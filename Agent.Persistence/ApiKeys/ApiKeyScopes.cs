namespace Agent.Persistence.ApiKeys;

/// <summary>
/// The scopes an API key can hold. <c>read</c> reads (GET, and POST searches), <c>write</c> creates, changes,
/// cancels and deletes, <c>admin</c> manages the tenant's API keys. Scopes do not imply one another.
/// </summary>
public static class ApiKeyScopes
{
    /// <summary>Read access.</summary>
    public const string Read = "read";

    /// <summary>Write access: create runs and threads, cancel, delete.</summary>
    public const string Write = "write";

    /// <summary>Key management (<c>/admin/api-keys</c>).</summary>
    public const string Admin = "admin";

    /// <summary>Gets every scope, in canonical order.</summary>
    public static IReadOnlyList<string> All { get; } = [Read, Write, Admin];

    /// <summary>Gets the scopes a new key gets when none are named: <c>read write</c>.</summary>
    public static IReadOnlyList<string> Default { get; } = [Read, Write];

    /// <summary>
    /// Parses scopes separated by spaces or commas, e.g. <c>read,write</c>; duplicates collapse, order becomes canonical.
    /// </summary>
    /// <param name="text">The scopes.</param>
    /// <returns>The scopes, or an error naming the unknown scope or saying none was given.</returns>
    public static (IReadOnlyList<string> Scopes, string? Error) Parse(string? text)
    {
        var given = (text ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = given.FirstOrDefault(s => !All.Contains(s, StringComparer.Ordinal));
        if (unknown is not null)
        {
            return ([], $"unknown scope '{(unknown.Length > 40 ? unknown[..40] + "…" : unknown)}'; scopes are {string.Join(", ", All)}.");
        }

        return given.Length == 0
            ? ([], "at least one scope is required; scopes are " + string.Join(", ", All) + ".")
            : (All.Where(given.Contains).ToList(), null);
    }

    /// <summary>Formats scopes as stored: canonical order, space-separated.</summary>
    /// <param name="scopes">The scopes.</param>
    /// <returns>E.g. <c>read write</c>.</returns>
    public static string Format(IEnumerable<string> scopes) => string.Join(' ', All.Where(scopes.Contains));
}
