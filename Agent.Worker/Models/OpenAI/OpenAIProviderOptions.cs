using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Agent.Worker.Models.OpenAI;

/// <summary>
/// Configures the OpenAI-compatible chat model provider: OpenAI itself, Azure OpenAI through its v1 endpoint, or any
/// server speaking the Chat Completions API (Ollama, vLLM, LiteLLM).
/// </summary>
public sealed class OpenAIProviderOptions
{
    /// <summary>The model used when neither the environment nor the call names one.</summary>
    public const string DefaultModelName = "gpt-4o-mini";

    /// <summary>
    /// Gets or sets the API key, sent as <c>Authorization: Bearer {key}</c>. From <c>OPENAI_API_KEY</c>; local servers
    /// such as Ollama require one but ignore its value.
    /// </summary>
    [Required]
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the base address of the API, including its version segment because the SDK appends only
    /// <c>/chat/completions</c>: e.g. <c>http://localhost:11434/v1</c> or <c>https://RESOURCE.openai.azure.com/openai/v1/</c>.
    /// From <c>OPENAI_BASE_URL</c>. Default is <see langword="null"/>, meaning <c>https://api.openai.com/v1</c>.
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>
    /// Gets or sets the model (on Azure: the deployment name) used when a call's <c>ChatOptions.ModelId</c> is unset.
    /// From <c>AGENT_MODEL</c>. Default is <c>gpt-4o-mini</c>.
    /// </summary>
    [Required]
    public string DefaultModel { get; set; } = DefaultModelName;

    /// <summary>
    /// Gets or sets the timeout of one HTTP attempt; while streaming it bounds the wait for each read, not the whole
    /// response (System.ClientModel's <c>ReadTimeoutStream</c>). Default is 100 s, the SDK's own default. Callers set
    /// an overall deadline with their cancellation token.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Gets or sets how many times the SDK retries a request after 408, 429, 500, 502, 503 or 504, with exponential
    /// backoff from 0.8 s that honours <c>Retry-After</c> (System.ClientModel <c>ClientRetryPolicy</c>). Default is 3,
    /// the SDK's own default; 0 leaves every retry to the caller.
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// Reads the options from configuration keys named like environment variables: <c>OPENAI_API_KEY</c>,
    /// <c>OPENAI_BASE_URL</c>, <c>AGENT_MODEL</c>.
    /// </summary>
    /// <param name="configuration">Configuration that includes the environment variables.</param>
    /// <returns>The options, or <see langword="null"/> when <c>OPENAI_API_KEY</c> is unset or blank.</returns>
    /// <exception cref="UriFormatException"><c>OPENAI_BASE_URL</c> is not an absolute URI.</exception>
    public static OpenAIProviderOptions? FromEnvironment(IConfiguration configuration)
    {
        var apiKey = configuration["OPENAI_API_KEY"];
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            return null;
        }

        var baseUrl = configuration["OPENAI_BASE_URL"];
        var model = configuration["AGENT_MODEL"];
        return new OpenAIProviderOptions
        {
            ApiKey = apiKey,
            BaseUrl = string.IsNullOrWhiteSpace(baseUrl) ? null : new Uri(baseUrl, UriKind.Absolute),
            DefaultModel = string.IsNullOrWhiteSpace(model) ? DefaultModelName : model,
        };
    }
}
