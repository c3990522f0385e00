using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Store;

/// <summary>
/// The body of <c>PUT /store/items</c> (LangGraph <c>StorePutRequest</c>; the JS SDK's <c>store.putItem</c>):
/// <c>{"namespace": ["users", "u-1"], "key": "prefs", "value": {...}, "index": null | false | ["field.path", ...], "ttl": 60}</c>.
/// </summary>
/// <param name="Namespace">The item's namespace: 1 to 32 labels, none empty, none containing <c>.</c>, not starting with <c>langgraph</c>. Required.</param>
/// <param name="Key">The item's key within the namespace, 1 to 1,024 characters. Required.</param>
/// <param name="Value">The item's value, a JSON object. Required.</param>
/// <param name="Index">
/// What the full-text <c>query</c> of a search reads: null (default) every string of the value, <c>false</c> nothing,
/// or a list of field paths (<c>title</c>, <c>sections[*].text</c>).
/// </param>
/// <param name="Ttl">Time to live in minutes (fractions allowed), greater than 0; null (default) never expires.</param>
[WireClosed("{0} is not a field of PUT /store/items; its fields are {1}.")]
internal sealed record StorePutRequest(IReadOnlyList<string>? Namespace, string? Key, JsonObject? Value, JsonNode? Index, double? Ttl);
