namespace Agent.Persistence.Store;

/// <summary>
/// The rules of a store namespace (LangGraph's <c>BaseStore</c>): a list of labels, none empty and none containing
/// <c>.</c> (the <c>GET /store/items</c> query joins them with dots), and the B-tree range that a namespace prefix
/// covers.
/// </summary>
public static class StoreNamespace
{
    /// <summary>The most labels a namespace may have: 32.</summary>
    public const int MaxLabels = 32;

    /// <summary>The longest label, in characters: 256.</summary>
    public const int MaxLabelLength = 256;

    /// <summary>The longest key, in characters: 1,024.</summary>
    public const int MaxKeyLength = 1024;

    /// <summary>The label that matches any label in the prefix and suffix of a namespace listing: <c>*</c>.</summary>
    public const string Wildcard = "*";

    /// <summary>
    /// Checks the namespace of an item (put, get, delete): 1 to <see cref="MaxLabels"/> labels of 1 to
    /// <see cref="MaxLabelLength"/> characters without <c>.</c>; the root label may not be <c>langgraph</c> (reserved
    /// by LangGraph's <c>BaseStore</c>) when <paramref name="writing"/>.
    /// </summary>
    /// <param name="labels">The namespace; null counts as missing.</param>
    /// <param name="field">The field name for the reason, e.g. <c>namespace</c>.</param>
    /// <param name="writing">Whether the item is being written (the reserved root applies).</param>
    /// <returns>A reason for a 422, or null when the namespace is valid.</returns>
    public static string? CheckItem(IReadOnlyList<string>? labels, string field, bool writing = false)
    {
        if (labels is null || labels.Count == 0)
        {
            return $"{field} is required: a non-empty list of labels, e.g. [\"users\", \"u-1\"].";
        }

        if (writing && labels[0] == "langgraph")
        {
            return $"{field} may not start with the reserved label 'langgraph'.";
        }

        return CheckLabels(labels, field);
    }

    /// <summary>
    /// Checks a prefix or suffix (search, namespace listing): 0 to <see cref="MaxLabels"/> labels, each as in
    /// <see cref="CheckItem"/>.
    /// </summary>
    /// <param name="labels">The labels; null counts as none.</param>
    /// <param name="field">The field name for the reason.</param>
    /// <returns>A reason for a 422, or null.</returns>
    public static string? CheckPrefix(IReadOnlyList<string>? labels, string field) =>
        labels is null ? null : CheckLabels(labels, field);

    /// <summary>Checks a key: 1 to <see cref="MaxKeyLength"/> characters.</summary>
    /// <param name="key">The key; null counts as missing.</param>
    /// <returns>A reason for a 422, or null.</returns>
    public static string? CheckKey(string? key) => key switch
    {
        null or "" => "key is required: a non-empty string.",
        { Length: > MaxKeyLength } => $"key is {key.Length} characters; at most {MaxKeyLength} are accepted.",
        _ => null,
    };

    /// <summary>
    /// Gets the range of the C-collated <c>text[]</c> B-tree that holds exactly the namespaces starting with
    /// <paramref name="prefix"/> (its labels up to the first <see cref="Wildcard"/>, when <paramref name="wildcards"/>):
    /// <c>namespace &gt;= lower AND namespace &lt; upper</c>.
    /// </summary>
    /// <remarks>
    /// Arrays compare label by label, and a shorter equal array first; in the C collation a label compares byte by
    /// byte. So every namespace that starts with <c>[a, b]</c> is at least <c>[a, b]</c> and below
    /// <c>[a, b + U+0001]</c>, and every other namespace is outside (PostgreSQL text cannot hold U+0000).
    /// </remarks>
    /// <param name="prefix">The prefix; empty for every namespace.</param>
    /// <param name="wildcards">Whether <see cref="Wildcard"/> labels match any label.</param>
    /// <returns>The bounds; <c>Upper</c> is null for no upper bound.</returns>
    public static (string[] Lower, string[]? Upper) Range(IReadOnlyList<string> prefix, bool wildcards)
    {
        var fixedCount = 0;
        while (fixedCount < prefix.Count && !(wildcards && prefix[fixedCount] == Wildcard))
        {
            fixedCount++;
        }

        if (fixedCount == 0)
        {
            return ([], null);
        }

        var lower = prefix.Take(fixedCount).ToArray();
        var upper = lower.ToArray();
        upper[^1] += "\u0001";
        return (lower, upper);
    }

    private static string? CheckLabels(IReadOnlyList<string> labels, string field)
    {
        if (labels.Count > MaxLabels)
        {
            return $"{field} has {labels.Count} labels; at most {MaxLabels} are accepted.";
        }

        for (var i = 0; i < labels.Count; i++)
        {
            var label = labels[i];
            if (string.IsNullOrEmpty(label) || label.Contains('.', StringComparison.Ordinal))
            {
                return $"{field}[{i}] is '{Quote(label)}': namespace labels cannot be empty or contain periods ('.').";
            }

            if (label.Length > MaxLabelLength)
            {
                return $"{field}[{i}] is {label.Length} characters; at most {MaxLabelLength} are accepted.";
            }
        }

        return null;
    }

    private static string Quote(string? value) =>
        value is null ? "null" : value.Length <= 80 ? value : value[..80] + "…";
}
