using System.Text.Json;
using Agent.Tests.Fakes;
using Agent.Worker.Models.OpenAI;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Models.OpenAI;

/// <summary>Builds adapters pointed at a <see cref="FakeOpenAIServer"/>, and the tool declaration the specs offer.</summary>
internal static class OpenAIChatClients
{
    /// <summary>The API key the specs send; the fake records the <c>Authorization</c> header.</summary>
    public const string ApiKey = "sk-test";

    /// <summary>Gets a declaration shaped like the retrieval tool.</summary>
    public static AIFunctionDeclaration SearchDocuments { get; } = AIFunctionFactory.CreateDeclaration(
        "search_documents",
        "Searches the documentation and returns the best matching chunks.",
        JsonDocument.Parse("""
            {"type":"object","properties":{"query":{"type":"string"},"k":{"type":"integer"}},"required":["query"]}
            """).RootElement);

    /// <summary>Creates an adapter for the fake server.</summary>
    /// <param name="server">The fake server.</param>
    /// <param name="maxRetries">The SDK retries; default 0 so error specs see every status.</param>
    /// <returns>The adapter.</returns>
    public static OpenAIChatClient For(FakeOpenAIServer server, int maxRetries = 0) => new(new OpenAIProviderOptions
    {
        ApiKey = ApiKey,
        BaseUrl = server.BaseUrl,
        MaxRetries = maxRetries,
        NetworkTimeout = TimeSpan.FromSeconds(30),
    });
}
