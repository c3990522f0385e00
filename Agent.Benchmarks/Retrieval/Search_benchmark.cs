using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Tests.Infrastructure;
using Agent.Worker.Hosting;
using Agent.Worker.Ingestion;
using Agent.Worker.Tools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Retrieval;

/// <summary>
/// The latency of the <c>search_documents</c> tool as the agent calls it: the tool resolved from the worker's own
/// composition (<c>AddAgentRunExecution</c>, so whatever search the worker runs is what is measured), on the
/// PostgreSQL manual ingested by the worker's own ingestor (the whole manual; the end-to-end tests' 7 pages in
/// <c>--quick</c>), with 200 varied questions made from the ingested pages' titles and section headings, one at a time.
/// See BENCHMARKS.md, "Search".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Search_benchmark
{
    private const int QuestionCount = 200;
    private const int WarmUpQuestions = 20;

    // Varied wordings: a how-to, a definition, a keyword query, a paraphrase with filler words.
    private static readonly string[] Templates =
    [
        "How do I use {0} in {1}?", "What is {0}?", "{1} {0}", "Can you explain {0} for {1}?", "what does {1} say about {0}",
        "When should I care about {0}?", "{0} example", "Where is {0} described in the docs for {1}?",
    ];

    [Test]
    public async Task Measures_search_documents_latency_on_the_manual()
    {
        if (!File.Exists(Path.Combine(AgentSystem.ManualDirectory, AgentSystem.ManualPages[0])))
        {
            Assert.Ignore($"The PostgreSQL manual is not at {AgentSystem.ManualDirectory}; install postgresql-doc-15 (deploy/local/services.sh does).");
        }

        await using var database = await TestDatabase.CreateAsync();
        using var host = BuildWorkerHost(database);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<AgentDatabaseMigrator>().MigrateAsync(CancellationToken.None);
        }

        var files = Quick
            ? AgentSystem.ManualPages.Select(p => Path.Combine(AgentSystem.ManualDirectory, p)).ToList()
            : [.. System.IO.Directory.EnumerateFiles(AgentSystem.ManualDirectory, "*.html").Order(StringComparer.Ordinal)];
        var ingestStarted = Stopwatch.GetTimestamp();
        await host.Services.GetRequiredService<CorpusIngestor>().IngestFilesAsync(files, CancellationToken.None);
        var ingestSeconds = Stopwatch.GetElapsedTime(ingestStarted).TotalSeconds;

        var questions = await QuestionsAsync(database);
        var search = host.Services.GetServices<IAgentTool>().Single(t => t.Name == "search_documents");
        var runId = Guid.CreateVersion7();
        var latencies = new List<double>();
        var empty = 0;
        for (var i = 0; i < WarmUpQuestions + questions.Count; i++)
        {
            var question = questions[i % questions.Count];
            var arguments = JsonSerializer.SerializeToElement(new { query = question });
            var started = Stopwatch.GetTimestamp();
            var result = await search.InvokeAsync(arguments, new ToolInvocation(runId, i, "call_" + i), CancellationToken.None);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (i < WarmUpQuestions)
            {
                continue;
            }

            latencies.Add(elapsed);
            if (JsonNode.Parse(result)?["results"] is JsonArray { Count: 0 })
            {
                empty++;
            }
        }

        Assert.That(latencies, Has.Count.EqualTo(QuestionCount));
        Report(Of(latencies), latencies, questions, files.Count, ingestSeconds, empty);
    }

    /// <summary>The worker's composition, not started: its ingestor and its tools, on the benchmark's database.</summary>
    private static IHost BuildWorkerHost(TestDatabase database)
    {
        var builder = InProcessWorkerHost.CreateBuilder(database);
        builder.Logging.ClearProviders();
        builder.Services.AddCorpusIngestion();
        builder.Services.AddAgentRunExecution(builder.Configuration);
        return builder.Build();
    }

    /// <summary>
    /// Makes <see cref="QuestionCount"/> questions from distinct (section heading, page title) pairs spread evenly over
    /// the ingested chunks, each worded by one of several templates in turn.
    /// </summary>
    private static async Task<List<string>> QuestionsAsync(TestDatabase database)
    {
        var pairs = new List<(string Heading, string Title)>();
        await using (var command = database.DataSource.CreateCommand("""
            SELECT DISTINCT ON (lower(c.heading), d.title) c.heading, d.title, c.chunk_id
              FROM agent.chunks c JOIN agent.documents d ON d.document_id = c.document_id
             ORDER BY lower(c.heading), d.title, c.chunk_id
            """))
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                pairs.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        Assert.That(pairs, Is.Not.Empty, "the ingested manual has chunks");
        // Spread over the whole manual: pick evenly across the pairs (sorted by heading, so pages interleave).
        var questions = new List<string>(QuestionCount);
        for (var i = 0; i < QuestionCount; i++)
        {
            var (heading, title) = pairs[(int)((long)i * pairs.Count / QuestionCount)];
            questions.Add(string.Format(System.Globalization.CultureInfo.InvariantCulture, Templates[i % Templates.Length], heading.Trim(), title.Trim()));
        }

        return questions;
    }

    private static void Report(Distribution latency, List<double> samples, List<string> questions, int pages, double ingestSeconds, int empty)
    {
        var corpus = Quick ? $"{pages} manual pages (--quick)" : $"the whole manual ({pages} pages)";
        var md = new StringBuilder();
        md.Append("## search_documents (in-process, the worker's own tool and ingestor)\n\n");
        md.Append($"{corpus}, ingested in {ingestSeconds:0.0} s; {QuestionCount} varied questions made from the pages' titles and ");
        md.Append($"section headings (after {WarmUpQuestions} unrecorded), one at a time, default k; {empty} found nothing. ");
        md.Append("From the call to the tool's JSON result.\n\n");
        md.Append("| questions | p50 ms | p90 ms | p99 ms | max ms | mean ms |\n|---|---|---|---|---|---|\n");
        md.Append($"| {latency.Count} | {Format(latency.P50)} | {Format(latency.P90)} | {Format(latency.P99)} | {Format(latency.Max)} | {Format(latency.Mean)} |\n\n");
        md.Append("The three slowest questions: ");
        md.Append(string.Join("; ", samples.Select((ms, i) => (ms, i)).OrderByDescending(x => x.ms).Take(3)
            .Select(x => $"\"{questions[x.i]}\" {Format(x.ms)} ms")));
        md.Append(".\n");
        Write(
            "7-search",
            new JsonObject
            {
                ["pages"] = pages,
                ["ingest_seconds"] = Math.Round(ingestSeconds, 2),
                ["latency_ms"] = latency.ToJson(),
                ["empty_results"] = empty,
                ["samples"] = new JsonArray([.. samples.Select((ms, i) => (JsonNode)new JsonObject { ["question"] = questions[i], ["ms"] = Math.Round(ms, 3) })]),
            },
            md.ToString(),
            [Goals.SearchP50(latency.P50, latency.Count, Quick ? $"{pages} manual pages" : "the manual"), Goals.SearchP99(latency.P99)]);
    }
}
