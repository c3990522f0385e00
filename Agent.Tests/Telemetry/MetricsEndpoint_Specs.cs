using System.Diagnostics.Metrics;
using Agent.Telemetry.Metrics;
using Agent.Worker.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Agent.Tests.Telemetry;

/// <summary>
/// <c>/metrics</c> as <c>AddAgentTelemetry</c> and <c>MapAgentMetrics</c> configure the OpenTelemetry Prometheus
/// exporter: the names, units, buckets and label escaping the dashboard, the alert rules and docs/operations.md rely on.
/// </summary>
[TestFixture]
public sealed class When_metrics_are_scraped_in_the_Prometheus_text_format
{
    private Meter meter = null!;
    private WebApplication app = null!;
    private HttpClient http = null!;

    [SetUp]
    public async Task StartAsync()
    {
        meter = new Meter("Agent.Tests.Prometheus." + Guid.NewGuid().ToString("N"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddAgentTelemetry(new ConfigurationBuilder().Build(), "agent-test", new Uri("amqp://guest:guest@127.0.0.1:1/"));
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(meter.Name));
        app = builder.Build();
        app.MapAgentMetrics();
        await app.StartAsync();
        http = app.GetTestClient();
    }

    [TearDown]
    public async Task StopAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
        meter.Dispose();
    }

    [Test]
    public async Task Should_render_a_histogram_with_its_advised_buckets_cumulatively_and_a_matching_inf_bucket()
    {
        var histogram = meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Tokens.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16] });
        histogram.Record(3, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        histogram.Record(10, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        histogram.Record(100, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));

        var text = await ScrapeAsync();
        var parsed = PrometheusText.Parse(text);

        var input = ("gen_ai_token_type", "input");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(parsed.Types["gen_ai_client_token_usage"], Is.EqualTo("histogram"), "the {token} annotation adds no unit suffix");
            Assert.That(
                parsed.Samples.Where(s => s.Name == "gen_ai_client_token_usage_bucket").Select(s => (s.Labels["le"], s.Value)),
                Is.EqualTo(new[] { ("1", 0d), ("4", 1d), ("16", 2d), ("+Inf", 3d) }));
            Assert.That(parsed.Value("gen_ai_client_token_usage_sum", input), Is.EqualTo(113));
            Assert.That(parsed.Value("gen_ai_client_token_usage_count", input), Is.EqualTo(3));
            Assert.That(text, Does.Contain("# HELP gen_ai_client_token_usage Tokens.\n"));
        }
    }

    [Test]
    public async Task Should_name_counters_with_total_and_units_and_updown_counters_as_gauges()
    {
        meter.CreateCounter<double>("agent.model.cost", AgentMetrics.UsdUnit).Add(0.25);
        meter.CreateCounter<long>("agent.runs.ended", "{run}").Add(2, new KeyValuePair<string, object?>("status", "success"));
        meter.CreateUpDownCounter<long>("agent.runs.in_flight", "{run}").Add(1);
        meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s").Record(0.5);

        var parsed = PrometheusText.Parse(await ScrapeAsync());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parsed.Types["agent_model_cost_usd_total"], Is.EqualTo("counter"));
            Assert.That(parsed.Value("agent_model_cost_usd_total"), Is.EqualTo(0.25));
            Assert.That(parsed.Value("agent_runs_ended_total", ("status", "success")), Is.EqualTo(2));
            Assert.That(parsed.Types["agent_runs_in_flight"], Is.EqualTo("gauge"));
            Assert.That(parsed.Types["gen_ai_client_operation_duration_seconds"], Is.EqualTo("histogram"));
        }
    }

    [Test]
    public async Task Should_escape_label_values_and_sanitise_label_names()
    {
        meter.CreateCounter<long>("weird.labels").Add(
            1, new KeyValuePair<string, object?>("db.query", "say \"hi\"\nback\\slash"), new KeyValuePair<string, object?>("ok", true));

        var parsed = PrometheusText.Parse(await ScrapeAsync());

        var sample = parsed.Samples.Single(s => s.Name == "weird_labels_total");
        Assert.That(sample.Labels, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["db_query"] = "say \"hi\"\nback\\slash",
            ["ok"] = "true",
        }));
    }

    [Test]
    public async Task Should_report_cumulative_values_across_scrapes()
    {
        var counter = meter.CreateCounter<long>("agent.lease.takeovers", "{claim}");
        counter.Add(1);
        PrometheusText.Parse(await ScrapeAsync());
        counter.Add(2);

        var parsed = PrometheusText.Parse(await ScrapeAsync());

        Assert.That(parsed.Value("agent_lease_takeovers_total"), Is.EqualTo(3), "Prometheus expects cumulative counters");
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await http.GetAsync(new Uri(MetricsEndpoint.Path, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }
}
