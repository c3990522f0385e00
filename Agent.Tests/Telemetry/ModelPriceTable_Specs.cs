using Agent.Worker.Pricing;
using Microsoft.Extensions.Configuration;

namespace Agent.Tests.Telemetry;

[TestFixture]
public sealed class When_a_model_call_is_priced
{
    [Test]
    public void Should_charge_input_and_output_tokens_at_the_tables_price_per_million()
    {
        var table = new ModelPriceTable(new ConfigurationBuilder().Build());

        // gpt-4o-mini lists USD 0.15 per million input tokens and 0.60 per million output tokens.
        Assert.That(table.CostUsd("gpt-4o-mini", 1_000, 2_000), Is.EqualTo(((1_000 * 0.15m) + (2_000 * 0.60m)) / 1_000_000m));
    }

    [Test]
    public void Should_take_prices_from_configuration_over_the_defaults_and_add_new_models()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ModelPrices:gpt-4o-mini:Input"] = "1",
            ["ModelPrices:gpt-4o-mini:Output"] = "2",
            ["ModelPrices:house-model:Input"] = "3.5",
            ["ModelPrices:house-model:Output"] = "7",
        }).Build();
        var table = new ModelPriceTable(configuration);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(table.CostUsd("gpt-4o-mini", 500_000, 250_000), Is.EqualTo(1.0m));
            Assert.That(table.CostUsd("HOUSE-MODEL", 1_000_000, 1_000_000), Is.EqualTo(10.5m), "model names match case-insensitively");
        }
    }

    [Test]
    public void Should_price_the_offline_model_at_zero_and_leave_unknown_models_unpriced()
    {
        var table = new ModelPriceTable(new ConfigurationBuilder().Build());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(table.CostUsd("offline-extractive", 10_000, 10_000), Is.Zero);
            Assert.That(table.CostUsd("some-new-model", 10_000, 10_000), Is.Null);
            Assert.That(table.CostUsd(null, 10_000, 10_000), Is.Null);
        }
    }
}
