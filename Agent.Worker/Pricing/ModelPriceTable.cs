using Microsoft.Extensions.Configuration;

namespace Agent.Worker.Pricing;

/// <summary>
/// Prices model calls from a per-model table in USD per million tokens (configuration section <c>ModelPrices</c>,
/// e.g. <c>ModelPrices__gpt-4o-mini__Input=0.15</c>). Unknown models cost 0 and are reported as unpriced.
/// </summary>
internal sealed class ModelPriceTable
{
    private readonly Dictionary<string, (decimal Input, decimal Output)> prices = new(StringComparer.OrdinalIgnoreCase)
    {
        // The offline extractive model runs in-process and costs nothing.
        ["offline-extractive"] = (0m, 0m),
        // Public list prices per 1M tokens (openai.com/api/pricing, checked 2025); override in configuration.
        ["gpt-4o-mini"] = (0.15m, 0.60m),
        ["gpt-4o"] = (2.50m, 10.00m),
        ["gpt-4.1-mini"] = (0.40m, 1.60m),
        ["gpt-4.1"] = (2.00m, 8.00m),
    };

    /// <summary>Initializes a new instance of the <see cref="ModelPriceTable"/> class.</summary>
    /// <param name="configuration">Configuration whose <c>ModelPrices:{model}:Input|Output</c> entries override the defaults.</param>
    public ModelPriceTable(IConfiguration configuration)
    {
        foreach (var model in configuration.GetSection("ModelPrices").GetChildren())
        {
            var input = model.GetValue<decimal?>("Input") ?? 0m;
            var output = model.GetValue<decimal?>("Output") ?? 0m;
            prices[model.Key] = (input, output);
        }
    }

    /// <summary>Computes a call's cost: input × input price / 10^6 + output × output price / 10^6.</summary>
    /// <param name="model">The model name the provider reported (or requested).</param>
    /// <param name="inputTokens">Input tokens.</param>
    /// <param name="outputTokens">Output tokens.</param>
    /// <returns>The cost in USD, or null when the model has no price.</returns>
    public decimal? CostUsd(string? model, long inputTokens, long outputTokens)
    {
        if (model is null || !prices.TryGetValue(model, out var price))
        {
            return null;
        }

        return ((inputTokens * price.Input) + (outputTokens * price.Output)) / 1_000_000m;
    }
}
