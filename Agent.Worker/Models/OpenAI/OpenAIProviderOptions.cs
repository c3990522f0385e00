using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Agent.Worker.Models.OpenAI;

/// <summary>
/// Configures the OpenAI-compatible chat model provider: OpenAI itself, any server speaking the Chat Completions API
/// (Ollama, vLLM, LiteLLM), or Azure OpenAI, through Azure.AI.OpenAI's <c>AzureOpenAIClient</c> when
/// <see cref="AzureEndpoint"/> is set (or through its v1 endpoint as <see cref="BaseUrl"/>).
/// </summary>
public sealed class OpenAIProviderOptions : IValidatableObject
{
    /// <summary>The model used when neither the environment nor the call names one.</summary>
    public const string DefaultModelName = "gpt-4o-mini";

    /// <summary>
    /// Gets or sets the API key, sent as <c>Authorization: Bearer {key}</c> (<c>api-key: {key}</c> to Azure OpenAI).
    /// From <c>OPENAI_API_KEY</c>, or <c>AZURE_OPENAI_API_KEY</c> with <see cref="AzureEndpoint"/>. Required except
    /// with <see cref="AzureEndpoint"/>, where a blank key means Microsoft Entra ID (<c>DefaultAzureCredential</c>:
    /// environment, workload identity, managed identity, Azure CLI, ...). Local servers such as Ollama require one but
    /// ignore its value.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets the Azure OpenAI resource, e.g. <c>https://RESOURCE.openai.azure.com/</c>: when set, requests go
    /// through <c>AzureOpenAIClient</c> to the deployment named by <see cref="DefaultModel"/>. From
    /// <c>AZURE_OPENAI_ENDPOINT</c>. Default is <see langword="null"/> (not Azure).
    /// </summary>
    public Uri? AzureEndpoint { get; set; }

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
    /// Reads the options from configuration keys named like environment variables. <c>AZURE_OPENAI_ENDPOINT</c>
    /// selects Azure OpenAI, with <c>AZURE_OPENAI_API_KEY</c> (unset: Microsoft Entra ID); otherwise
    /// <c>OPENAI_API_KEY</c> selects OpenAI or the server at <c>OPENAI_BASE_URL</c>. <c>AGENT_MODEL</c> names the
    /// model (on Azure: the deployment) in both cases.
    /// </summary>
    /// <param name="configuration">Configuration that includes the environment variables.</param>
    /// <returns>
    /// The options, or <see langword="null"/> when neither <c>AZURE_OPENAI_ENDPOINT</c> nor <c>OPENAI_API_KEY</c> is
    /// set (the offline model then answers).
    /// </returns>
    /// <exception cref="UriFormatException"><c>AZURE_OPENAI_ENDPOINT</c> or <c>OPENAI_BASE_URL</c> is not an absolute URI.</exception>
    public static OpenAIProviderOptions? FromEnvironment(IConfiguration configuration)
    {
        var model = configuration["AGENT_MODEL"];
        model = string.IsNullOrWhiteSpace(model) ? DefaultModelName : model;
        var azureEndpoint = configuration["AZURE_OPENAI_ENDPOINT"];
        if (!string.IsNullOrWhiteSpace(azureEndpoint))
        {
            var azureKey = configuration["AZURE_OPENAI_API_KEY"];
            return new OpenAIProviderOptions
            {
                AzureEndpoint = new Uri(azureEndpoint, UriKind.Absolute),
                ApiKey = string.IsNullOrWhiteSpace(azureKey) ? null : azureKey,
                DefaultModel = model,
            };
        }

        var apiKey = configuration["OPENAI_API_KEY"];
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            return null;
        }

        var baseUrl = configuration["OPENAI_BASE_URL"];
        return new OpenAIProviderOptions
        {
            ApiKey = apiKey,
            BaseUrl = string.IsNullOrWhiteSpace(baseUrl) ? null : new Uri(baseUrl, UriKind.Absolute),
            DefaultModel = model,
        };
    }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AzureEndpoint is null && string.IsNullOrWhiteSpace(ApiKey))
        {
            yield return new ValidationResult(
                "An API key is required (OPENAI_API_KEY), except for Azure OpenAI (AZURE_OPENAI_ENDPOINT), which can use Microsoft Entra ID.",
                [nameof(ApiKey)]);
        }

        if (AzureEndpoint is not null && BaseUrl is not null)
        {
            yield return new ValidationResult(
                "Set either AZURE_OPENAI_ENDPOINT (Azure OpenAI) or OPENAI_BASE_URL (an OpenAI-compatible server), not both.",
                [nameof(AzureEndpoint), nameof(BaseUrl)]);
        }
    }
}
