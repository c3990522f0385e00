using System.Text.RegularExpressions;

namespace Agent.Persistence.Documents;

/// <summary>
/// The rule for document collection names, shared by <c>ingest --collection</c>, a graph's default collections and the
/// API's check of <c>config.configurable.collections</c>: 1 to 64 characters, lowercase ASCII letters, digits,
/// <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or a digit (e.g. <c>postgresql-15</c>, <c>support_docs</c>).
/// </summary>
public static partial class DocumentCollectionName
{
    /// <summary>The collection the PostgreSQL manual is ingested into when <c>ingest</c> names none: <c>postgresql-15</c>.</summary>
    public const string Default = "postgresql-15";

    /// <summary>The longest name accepted, in characters: 64.</summary>
    public const int MaxLength = 64;

    /// <summary>Checks a name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>Null when the name is valid, else why it is not (a sentence naming the name).</returns>
    public static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "A collection name must not be empty.";
        }

        if (name.Length > MaxLength)
        {
            return $"The collection name '{name[..MaxLength]}…' is longer than {MaxLength} characters.";
        }

        return Pattern().IsMatch(name)
            ? null
            : $"The collection name '{name}' is not valid: use lowercase letters, digits, '.', '_' and '-', starting with a letter or a digit.";
    }

    /// <summary>Checks a name and throws when it is not valid.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentException">The name is not valid; the message says why.</exception>
    public static string Require(string? name) =>
        Check(name) is { } error ? throw new ArgumentException(error, nameof(name)) : name!;

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
