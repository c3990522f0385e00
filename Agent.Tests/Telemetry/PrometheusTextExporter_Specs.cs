using System.Diagnostics.Metrics;
using Agent.Telemetry.Metrics;
using OpenTelemetry.Metrics;

namespace Agent.Tests.Telemetry;

[TestFixture]
public sealed class When_metrics_are_scraped_in_the_Prometheus_text_format
{
    private Meter meter = null!;
    private PrometheusTextExporter exporter = null!;
    private MeterProvider provider = null!;

    [SetUp]
    public void Start()
    {
        meter = new Meter("Agent.Tests.Prometheus." + Guid.NewGuid().ToString("N"));
        exporter = new PrometheusTextExporter();
        provider = OpenTelemetry.Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name).AddReader(exporter.Reader).Build();
    }

    [TearDown]
    public void Stop()
    {
        provider.Dispose();
        exporter.Dispose();
        meter.Dispose();
    }

    [Test]
    public void Should_render_a_histogram_with_its_advised_buckets_cumulatively_and_a_matching_inf_bucket()
    {
        var histogram = meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Tokens.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16] });
        histogram.Record(3, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        histogram.Record(10, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));
        histogram.Record(100, new KeyValuePair<string, object?>("gen_ai.token.type", "input"));

        var text = exporter.Scrape();
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
    public void Should_name_counters_with_total_and_units_and_updown_counters_as_gauges()
    {
        meter.CreateCounter<double>("agent.model.cost", "USD").Add(0.25);
        meter.CreateCounter<long>("agent.runs.ended", "{run}").Add(2, new KeyValuePair<string, object?>("status", "success"));
        meter.CreateUpDownCounter<long>("agent.runs.in_flight", "{run}").Add(1);
        meter.CreateHistogram<double>("gen_ai.client.operation.duration", "s").Record(0.5);

        var parsed = PrometheusText.Parse(exporter.Scrape());

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
    public void Should_escape_label_values_and_sanitise_label_names()
    {
        meter.CreateCounter<long>("weird.labels").Add(
            1, new KeyValuePair<string, object?>("db.query", "say \"hi\"\nback\\slash"), new KeyValuePair<string, object?>("ok", true));

        var parsed = PrometheusText.Parse(exporter.Scrape());

        var sample = parsed.Samples.Single(s => s.Name == "weird_labels_total");
        Assert.That(sample.Labels, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["db_query"] = "say \"hi\"\nback\\slash",
            ["ok"] = "true",
        }));
    }

    [Test]
    public void Should_report_cumulative_values_across_scrapes()
    {
        var counter = meter.CreateCounter<long>("agent.lease.takeovers", "{claim}");
        counter.Add(1);
        PrometheusText.Parse(exporter.Scrape());
        counter.Add(2);

        var parsed = PrometheusText.Parse(exporter.Scrape());

        Assert.That(parsed.Value("agent_lease_takeovers_total"), Is.EqualTo(3), "Prometheus expects cumulative counters");
    }
}
