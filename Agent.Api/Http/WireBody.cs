using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Agent.Persistence.Wire;

namespace Agent.Api.Http;

/// <summary>
/// Reads a request body into its wire record with the record's source-generated <see cref="JsonTypeInfo{T}"/>, after
/// checking each field first, so every client mistake is a 422 with a reason for a person instead of a
/// <see cref="JsonException"/>.
/// </summary>
/// <remarks>
/// The fields are the record's JSON metadata (never a second, hand-kept list). The checks, in this order:
/// <list type="number">
/// <item>A record marked <see cref="WireClosedAttribute"/> refuses the first field it does not declare; any other
/// record ignores such fields, as LangGraph's request schemas do.</item>
/// <item>Each declared field, in declaration order: a required field must be present; null reads as absent (unless
/// <see cref="WireErrorAttribute.NullIsError"/>); a <see cref="WireUnsupportedAttribute"/> field is refused; the JSON type
/// must match the property's (string for strings, enums and URIs; boolean; number; object; list), else
/// <see cref="WireErrorAttribute.TypeError"/>; an enum must be one of its wire spellings (<see cref="WireName"/>,
/// case-sensitive) and any other value must convert, else <see cref="WireErrorAttribute.ValueError"/>.</item>
/// </list>
/// A field without <see cref="WireErrorAttribute"/> gets <c>"{field} must be a string."</c> (an integer, a number, a
/// boolean, an object, a list, a list of strings).
/// </remarks>
internal static class WireBody
{
    private static readonly ConcurrentDictionary<JsonTypeInfo, Field[]> Fields = new();
    private static readonly ConcurrentDictionary<Type, WireClosedAttribute?> Closed = new();

    /// <summary>Reads and checks a JSON object as a wire record.</summary>
    /// <typeparam name="T">The record.</typeparam>
    /// <param name="body">The object (a request body, or an object field of one).</param>
    /// <param name="typeInfo">The record's generated metadata, e.g. <c>RunsJsonContext.Default.RunCreate</c>.</param>
    /// <returns>The record, or the 422 detail of the first check that fails.</returns>
    public static (T? Value, string? Error) Read<T>(JsonObject body, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(body);
        var fields = FieldsOf(typeInfo);
        if (Closed.GetOrAdd(typeof(T), static t => t.GetCustomAttribute<WireClosedAttribute>()) is { } closed)
        {
            var unknown = body.Select(p => p.Key).FirstOrDefault(k => !fields.Any(f => f.Name == k));
            if (unknown is not null)
            {
                return (null, closed.Error
                    .Replace("{0}", unknown, StringComparison.Ordinal)
                    .Replace("{1}", EnglishList(fields.Select(f => f.Name)), StringComparison.Ordinal));
            }
        }

        foreach (var field in fields)
        {
            if (field.Check(body, typeInfo.Options) is { } error)
            {
                return (null, error);
            }
        }

        return (body.Deserialize(typeInfo), null);
    }

    /// <summary>Gets the JSON names of a wire record's fields, in declaration order, from its generated metadata.</summary>
    /// <param name="typeInfo">The record's metadata.</param>
    /// <returns>The names.</returns>
    public static IReadOnlyList<string> Names(JsonTypeInfo typeInfo) => FieldsOf(typeInfo).Select(f => f.Name).ToArray();

    private static Field[] FieldsOf(JsonTypeInfo typeInfo) =>
        Fields.GetOrAdd(typeInfo, static info => info.Properties.Select(p => new Field(p)).ToArray());

    private static string EnglishList(IEnumerable<string> names)
    {
        var list = names.ToArray();
        return list.Length <= 1 ? string.Concat(list) : string.Join(", ", list[..^1]) + " and " + list[^1];
    }

    private enum Kind
    {
        Any,
        String,
        Boolean,
        Integer,
        Number,
        Object,
        List,
        StringList,
    }

    private sealed class Field
    {
        private readonly JsonPropertyInfo property;
        private readonly Type type;
        private readonly Kind kind;
        private readonly WireErrorAttribute? error;
        private readonly WireUnsupportedAttribute? unsupported;

        public Field(JsonPropertyInfo property)
        {
            this.property = property;
            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            kind = KindOf(type);
            var attributes = property.AttributeProvider;
            error = attributes?.GetCustomAttributes(typeof(WireErrorAttribute), inherit: false).OfType<WireErrorAttribute>().FirstOrDefault();
            unsupported = attributes?.GetCustomAttributes(typeof(WireUnsupportedAttribute), inherit: false).OfType<WireUnsupportedAttribute>().FirstOrDefault();
        }

        public string Name => property.Name;

        public string? Check(JsonObject body, JsonSerializerOptions options)
        {
            var present = body.TryGetPropertyValue(Name, out var node);
            if (node is null)
            {
                return property.IsRequired || (present && error?.NullIsError == true) ? Format(TypeError, "null") : null;
            }

            if (unsupported is not null)
            {
                return unsupported.Error ?? $"{Name} is not supported by this server yet.";
            }

            if (!HasKind(node))
            {
                return Format(TypeError, node.ToJsonString());
            }

            return Converts(node, options) ? null : Format(error?.ValueError ?? TypeError, node.ToJsonString());
        }

        // {0}: an enum's wire spellings; {1}: the value as JSON, shortened.
        // (Replaced, not string.Format: details quote JSON, whose braces are not placeholders.)
        private string Format(string detail, string value) => detail
            .Replace("{0}", type.IsEnum ? string.Join(", ", WireName.All(type)) : string.Empty, StringComparison.Ordinal)
            .Replace("{1}", ApiRequest.Truncate(value), StringComparison.Ordinal);

        private string TypeError => error?.TypeError ?? kind switch
        {
            Kind.Boolean => $"{Name} must be a boolean.",
            Kind.Integer => $"{Name} must be an integer.",
            Kind.Number => $"{Name} must be a number.",
            Kind.Object => $"{Name} must be an object.",
            Kind.List => $"{Name} must be a list.",
            Kind.StringList => $"{Name} must be a list of strings.",
            _ => $"{Name} must be a string.",
        };

        private static Kind KindOf(Type type) =>
            type == typeof(string) || type == typeof(Guid) || type == typeof(Uri) || type == typeof(DateTimeOffset) || type.IsEnum ? Kind.String
            : type == typeof(bool) ? Kind.Boolean
            : type == typeof(int) || type == typeof(long) ? Kind.Integer
            : type == typeof(double) ? Kind.Number
            : type == typeof(JsonObject) ? Kind.Object
            : type == typeof(JsonArray) ? Kind.List
            : typeof(IEnumerable<string>).IsAssignableFrom(type) ? Kind.StringList
            : type == typeof(JsonNode) || type == typeof(JsonElement) ? Kind.Any
            : Kind.Object;

        private bool HasKind(JsonNode node) => kind switch
        {
            Kind.String => node.GetValueKind() == JsonValueKind.String,
            Kind.Boolean => node.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
            Kind.Integer or Kind.Number => node.GetValueKind() == JsonValueKind.Number,
            Kind.Object => node is JsonObject,
            Kind.List => node is JsonArray,
            Kind.StringList => node is JsonArray list && list.All(i => i?.GetValueKind() == JsonValueKind.String),
            _ => true,
        };

        private bool Converts(JsonNode node, JsonSerializerOptions options)
        {
            if (type.IsEnum)
            {
                return WireName.All(type).Contains(node.GetValue<string>(), StringComparer.Ordinal);
            }

            // A JSON tree of the right kind is its own value: no need to copy a large input to know it converts.
            if (typeof(JsonNode).IsAssignableFrom(type) || type == typeof(JsonElement))
            {
                return true;
            }

            try
            {
                var value = node.Deserialize(options.GetTypeInfo(property.PropertyType));
                return value is not double d || double.IsFinite(d);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException)
            {
                return false;
            }
        }
    }
}
