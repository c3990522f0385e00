using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Agent.Persistence.Wire;

/// <summary>
/// Converts the LangGraph enums (<c>MultitaskStrategy</c>, <c>AgentRunStatus</c>, <c>StreamMode</c>, ...) to and from their
/// wire spelling, the <see cref="JsonStringEnumMemberNameAttribute"/> of each member: the one place that spelling is
/// written, read by System.Text.Json, EF Core's column conversions and the query-string parsers alike.
/// </summary>
public static class WireName
{
    /// <summary>Gets the wire spelling of a value, e.g. <c>enqueue</c> for <c>MultitaskStrategy.Enqueue</c>.</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The spelling.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a named member.</exception>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum =>
        Names<TEnum>.ByValue.TryGetValue(value, out var name)
            ? name
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"{typeof(TEnum).Name} has no member {value}.");

    /// <summary>Reads a wire spelling, case-sensitively as LangGraph does.</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <param name="text">The text, or null.</param>
    /// <param name="value">The value read, or default.</param>
    /// <returns>True when the text spells a member.</returns>
    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        value = default;
        return text is not null && Names<TEnum>.ByName.TryGetValue(text, out value);
    }

    /// <summary>Reads a wire spelling that is known to be valid (a stored column).</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <param name="text">The text.</param>
    /// <returns>The value.</returns>
    /// <exception cref="FormatException">The text spells no member.</exception>
    public static TEnum Parse<TEnum>(string text)
        where TEnum : struct, Enum =>
        TryParse<TEnum>(text, out var value) ? value : throw new FormatException($"'{text}' is not a {typeof(TEnum).Name}.");

    /// <summary>Gets every wire spelling of an enum, in declaration order (for error messages that list them).</summary>
    /// <typeparam name="TEnum">The enum.</typeparam>
    /// <returns>The spellings.</returns>
    public static IReadOnlyList<string> All<TEnum>()
        where TEnum : struct, Enum => Names<TEnum>.InOrder;

    /// <summary>Gets every wire spelling of an enum given as a type (for validators that see a property's type only).</summary>
    /// <param name="enumType">The enum type.</param>
    /// <returns>The spellings, in declaration order.</returns>
    /// <exception cref="ArgumentException">The type is not an enum.</exception>
    public static IReadOnlyList<string> All(Type enumType)
    {
        ArgumentNullException.ThrowIfNull(enumType);
        return enumType.IsEnum
            ? (IReadOnlyList<string>)typeof(Names<>).MakeGenericType(enumType).GetField(nameof(Names<AttributeTargets>.InOrder))!.GetValue(null)!
            : throw new ArgumentException($"{enumType.Name} is not an enum.", nameof(enumType));
    }

    private static class Names<TEnum>
        where TEnum : struct, Enum
    {
        public static readonly IReadOnlyList<string> InOrder = typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static)
            .OrderBy(f => f.MetadataToken)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name)
            .ToArray();

        public static readonly FrozenDictionary<TEnum, string> ByValue = typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToFrozenDictionary(f => (TEnum)f.GetValue(null)!, f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name);

        public static readonly FrozenDictionary<string, TEnum> ByName =
            ByValue.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }
}
