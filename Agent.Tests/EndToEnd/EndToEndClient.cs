using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.EndToEnd;

/// <summary>
/// Talks to a running API the way a LangGraph client does, over real HTTP.
/// </summary>
internal static class EndToEndClient
{
    /// <summary>The question of the README's demo.</summary>
    public const string GinQuestion = "How do I create a GIN index on a tsvector column?";

    /// <summary>Posts JSON and returns the response (not checked).</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The path.</param>
    /// <param name="json">The body.</param>
    /// <returns>The response.</returns>
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json) =>
        client.PostAsync(new Uri(path, UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));

    /// <summary>Posts JSON, requires 2xx, and parses the JSON reply.</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The path.</param>
    /// <param name="json">The body.</param>
    /// <returns>The reply.</returns>
    public static async Task<JsonNode> PostJsonAsync(HttpClient client, string path, string json)
    {
        using var response = await PostAsync(client, path, json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Gets and parses JSON, requiring 2xx.</summary>
    /// <param name="client">The client.</param>
    /// <param name="path">The path.</param>
    /// <returns>The reply.</returns>
    public static async Task<JsonNode> GetJsonAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Creates a thread.</summary>
    /// <param name="client">The client.</param>
    /// <returns>The thread id.</returns>
    public static async Task<string> CreateThreadAsync(HttpClient client) =>
        (await PostJsonAsync(client, "/threads", "{}"))["thread_id"]!.GetValue<string>();

    /// <summary>The body of a run asking one question.</summary>
    /// <param name="question">The question.</param>
    /// <param name="streamModes">The stream modes, as a JSON list.</param>
    /// <returns>The JSON body.</returns>
    public static string RunBody(string question, string streamModes = """["values","updates"]""") =>
        new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
            ["stream_mode"] = JsonNode.Parse(streamModes),
        }.ToJsonString();

    /// <summary>Sends a request and reads its SSE frames until the server closes the stream.</summary>
    /// <param name="client">The client.</param>
    /// <param name="request">The request.</param>
    /// <returns>The response (headers) and every frame.</returns>
    public static async Task<(HttpResponseMessage Response, List<SseFrame> Frames)> StreamAsync(HttpClient client, HttpRequestMessage request)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var frames = new List<SseFrame>();
        if (response.IsSuccessStatusCode)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await foreach (var frame in SseStream.ReadAsync(response, timeout.Token))
            {
                frames.Add(frame);
            }
        }

        return (response, frames);
    }

    /// <summary>Streams a new run on a thread.</summary>
    /// <param name="client">The client.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="body">The run body.</param>
    /// <returns>The response and the frames.</returns>
    public static Task<(HttpResponseMessage Response, List<SseFrame> Frames)> StreamRunAsync(HttpClient client, string threadId, string body) =>
        StreamAsync(client, new HttpRequestMessage(HttpMethod.Post, $"/threads/{threadId}/runs/stream")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });
}
