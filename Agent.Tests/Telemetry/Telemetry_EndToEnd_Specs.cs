using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.Telemetry;

/// <summary>
/// Real API and worker processes on the real PostgreSQL and RabbitMQ, the OpenAI provider against the fake model
/// server, and an OTLP/HTTP receiver in the test: traces, metrics, logs, health and usage as an operator sees them.
/// </summary>
[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_a_run_is_traced_measured_and_priced
{
    private const string ApiKey = "sk-test-telemetry-secret";
    private const string PricedModel = "fake-priced-model";

    private FakeOpenAIServer model = null!;
    private OtlpTraceReceiver otlp = null!;
    private AgentSystem system = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        model = await FakeOpenAIServer.StartAsync();
        otlp = await OtlpTraceReceiver.StartAsync();
        var telemetry = new Dictionary<string, string?>
        {
            ["Telemetry__OtlpEndpoint"] = otlp.Endpoint.ToString(),
            ["Telemetry__OtlpProtocol"] = "http/protobuf",
            // Export spans every 200 ms instead of every 5 s, so the test waits less.
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        var worker = new Dictionary<string, string?>(telemetry)
        {
            ["OPENAI_API_KEY"] = ApiKey,
            ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
            ["AGENT_MODEL"] = "gpt-4o-mini",
            ["ModelPrices__" + PricedModel + "__Input"] = "2",
            ["ModelPrices__" + PricedModel + "__Output"] = "8",
            ["Telemetry__DeepCheckIntervalSeconds"] = "1",
        };
        system = await AgentSystem.StartAsync(apiCount: 1, worker, telemetry);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await system.DisposeAsync();
        await otlp.DisposeAsync();
        await model.DisposeAsync();
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(system.Logs());
        }
    }

    [Test]
    public async Task Should_export_one_trace_from_the_api_through_the_bus_to_the_workers_chat_and_tool_spans()
    {
        model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = "GIN index", k = 2 }, "call_traced") with { Usage = new FakeUsage(120, 15) },
            FakeChatReply.Text("Use CREATE INDEX ... USING GIN.", new FakeUsage(400, 30)));
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();

        await WaitRunAsync(client, threadId, GinQuestion, traceId);
        var spans = await otlp.WaitForTraceAsync(
            traceId,
            trace => trace.Count(s => s.Name == "chat gpt-4o-mini") == 2 && trace.Any(s => s.Name == "invoke_agent agent")
                     && trace.Any(s => s.Service == "agent-api" && s.Kind == 2 && s.Name.Contains("/runs/wait", StringComparison.Ordinal))
                     && trace.Any(s => s.Scope == "MassTransit" && s.Kind == 4) && trace.Any(s => s.Scope == "Npgsql" && s.Service == "agent-worker")
                     && trace.Any(s => s.Name == "execute_tool search_documents")
                     // Spans arrive in batches per process: wait until invoke_agent's whole chain of parents is in.
                     && ChainIsComplete(trace),
            TimeSpan.FromSeconds(30));

        var byId = spans.ToDictionary(s => s.SpanId);
        var request = spans.Single(s => s.Service == "agent-api" && s.Kind == 2 && s.Name == "POST /threads/{thread_id}/runs/wait");
        var invoke = spans.Single(s => s.Name == "invoke_agent agent");
        // The outermost worker consume invoke_agent descends from (MassTransit nests receive and consume), and the
        // span it continues.
        var consume = spans.First(s => s.Service == "agent-worker" && s.Scope == "MassTransit" && s.Kind == 5
                                       && Ancestors(invoke, byId).Contains(s.SpanId)
                                       && byId.TryGetValue(s.ParentSpanId, out var parent) && parent.Service != "agent-worker");
        var send = byId[consume.ParentSpanId];
        var chats = spans.Where(s => s.Name == "chat gpt-4o-mini").OrderBy(s => s["gen_ai.usage.input_tokens"]).ToList();
        var tool = spans.Single(s => s.Name == "execute_tool search_documents");
        using (Assert.EnterMultipleScope())
        {
            // One trace, one chain: request → send → (bus) → consume → invoke_agent → chat / execute_tool.
            Assert.That(Ancestors(send, byId), Does.Contain(request.SpanId), "the send happens inside the request");
            Assert.That((send.Service, send.Scope, send.Kind), Is.EqualTo(("agent-api", "MassTransit", 4)), "the worker's consume continues the API's send");
            Assert.That(Ancestors(invoke, byId), Does.Contain(consume.SpanId));
            Assert.That(chats.Select(c => Ancestors(c, byId).Contains(invoke.SpanId)), Is.All.True);
            Assert.That(Ancestors(tool, byId), Does.Contain(invoke.SpanId));
            Assert.That(spans.Where(s => s.Scope == "System.Net.Http" && s.Service == "agent-worker").Select(s => s.ParentSpanId),
                Does.Contain(chats[0].SpanId), "the SDK's HTTP request nests under its chat span");

            Assert.That(request["http.route"], Is.EqualTo("/threads/{thread_id}/runs/wait"));
            Assert.That(request["http.response.status_code"], Is.EqualTo(200L));
            Assert.That(invoke["gen_ai.operation.name"], Is.EqualTo("invoke_agent"));
            Assert.That(invoke["gen_ai.conversation.id"], Is.EqualTo(threadId));
            Assert.That(invoke["agent_runtime.run.status"], Is.EqualTo("success"));
            Assert.That(chats[0].Kind, Is.EqualTo(3), "a chat span is a client span");
            Assert.That(chats[0]["gen_ai.operation.name"], Is.EqualTo("chat"));
            Assert.That(chats[0]["gen_ai.provider.name"], Is.EqualTo("openai"));
            Assert.That(chats[0]["gen_ai.request.model"], Is.EqualTo("gpt-4o-mini"));
            Assert.That(chats[0]["gen_ai.response.model"], Is.EqualTo("gpt-4o-mini"));
            Assert.That(chats[0]["gen_ai.usage.input_tokens"], Is.EqualTo(120L));
            Assert.That(chats[0]["gen_ai.usage.output_tokens"], Is.EqualTo(15L));
            Assert.That(chats[0]["gen_ai.response.finish_reasons"], Is.EqualTo(new List<object?> { "tool_calls" }));
            Assert.That(chats[0]["gen_ai.conversation.id"], Is.EqualTo(threadId));
            Assert.That(chats[0]["server.address"], Is.EqualTo("127.0.0.1"));
            Assert.That(chats[1]["gen_ai.response.finish_reasons"], Is.EqualTo(new List<object?> { "stop" }));
            Assert.That(chats.SelectMany(c => c.Attributes.Keys), Has.None.EqualTo("gen_ai.input.messages"), "content capture is off by default");
            Assert.That(tool["gen_ai.tool.name"], Is.EqualTo("search_documents"));
            Assert.That(tool["gen_ai.tool.call.id"], Is.EqualTo("call_traced"));
            Assert.That(spans.Where(s => s.Scope == "Npgsql").Select(s => s["db.system.name"]), Has.Some.EqualTo("postgresql"));
        }
    }

    [Test]
    public async Task Should_log_json_lines_carrying_the_trace_and_run_ids_but_no_prompts_or_keys()
    {
        const string question = "Which secret words does the telemetry log test ask?";
        model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = "vacuum", k = 1 }, "call_logged"),
            FakeChatReply.Text("The hidden completion text."));
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();

        await WaitRunAsync(client, threadId, question, traceId);

        var runId = (await GetJsonAsync(client, $"/threads/{threadId}/runs")).AsArray().Single()!["run_id"]!.GetValue<string>();
        var workerLines = system.Workers[0].Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonNode.Parse(l)!).ToList();
        var runLines = workerLines.Where(l => l["run_id"]?.GetValue<string>() == runId).ToList();
        var all = system.Logs();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(runLines, Is.Not.Empty);
            Assert.That(runLines.Select(l => l["trace_id"]?.GetValue<string>()), Is.All.EqualTo(traceId));
            Assert.That(runLines.Select(l => l["thread_id"]?.GetValue<string>()), Is.All.EqualTo(threadId));
            Assert.That(runLines.Select(l => l["span_id"]?.GetValue<string>()), Is.All.Not.Null);
            Assert.That(all, Does.Not.Contain(ApiKey));
            Assert.That(all, Does.Not.Contain(question));
            Assert.That(all, Does.Not.Contain("The hidden completion text."));
        }
    }

    [Test]
    public async Task Should_expose_the_token_histogram_and_run_metrics_as_Prometheus_text_after_a_run()
    {
        var worker = system.WorkerManagement[0];
        var before = await ScrapeAsync(worker);
        var endedBefore = before.Value("agent_runs_ended_total", ("status", "success"));
        model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = "vacuum", k = 1 }) with { Usage = new FakeUsage(50, 5) },
            FakeChatReply.Text("VACUUM reclaims storage.", new FakeUsage(70, 9)));
        using var client = system.Client();

        await WaitRunAsync(client, await CreateThreadAsync(client), "What does VACUUM do?", ActivityTraceId.CreateRandom().ToHexString());
        // The run's metrics are recorded just after its end is committed, which the API may report first.
        var after = await ScrapeUntilAsync(worker, m => m.Value("agent_runs_ended_total", ("status", "success")) > endedBefore);
        var api = await ScrapeAsync(system.Apis[0]);

        var input = new[] { ("gen_ai_token_type", "input"), ("gen_ai_request_model", "gpt-4o-mini") };
        var output = new[] { ("gen_ai_token_type", "output"), ("gen_ai_request_model", "gpt-4o-mini") };
        var boundaries = after.Samples.Where(s => s.Name == "gen_ai_client_token_usage_bucket" && s.Labels["gen_ai_token_type"] == "input")
            .Select(s => s.Labels["le"]).Distinct().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(after.Types["gen_ai_client_token_usage"], Is.EqualTo("histogram"));
            Assert.That(after.Value("gen_ai_client_token_usage_sum", input) - before.Value("gen_ai_client_token_usage_sum", input), Is.EqualTo(120));
            Assert.That(after.Value("gen_ai_client_token_usage_count", input) - before.Value("gen_ai_client_token_usage_count", input), Is.EqualTo(2));
            Assert.That(after.Value("gen_ai_client_token_usage_sum", output) - before.Value("gen_ai_client_token_usage_sum", output), Is.EqualTo(14));
            Assert.That(boundaries, Is.EqualTo(new[]
            {
                "1", "4", "16", "64", "256", "1024", "4096", "16384", "65536", "262144", "1048576", "4194304", "16777216", "67108864", "+Inf",
            }), "the GenAI spec's bucket boundaries");
            Assert.That(after.Types["gen_ai_client_operation_duration_seconds"], Is.EqualTo("histogram"));
            Assert.That(after.Value("agent_runs_ended_total", ("status", "success")) - endedBefore, Is.EqualTo(1));
            Assert.That(after.Value("agent_run_steps_count", ("status", "success")), Is.GreaterThanOrEqualTo(1));
            Assert.That(after.Value("agent_worker_slots"), Is.EqualTo(1));
            Assert.That(api.Types["http_server_request_duration_seconds"], Is.EqualTo("histogram"));
            Assert.That(api.Value("http_server_request_duration_seconds_count", ("http_route", "/threads/{thread_id}/runs/wait")), Is.GreaterThanOrEqualTo(1));
        }
    }

    [Test]
    public async Task Should_name_in_the_alert_rules_and_the_dashboard_only_metrics_the_processes_export()
    {
        using var client = system.Client();
        await WaitRunAsync(client, await CreateThreadAsync(client), "What does VACUUM do?", ActivityTraceId.CreateRandom().ToHexString());
        var worker = await ScrapeUntilAsync(system.WorkerManagement[0], m => m.Types.ContainsKey("agent_queue_depth"));
        var api = await ScrapeAsync(system.Apis[0]);
        var exported = worker.Samples.Concat(api.Samples).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        // Families and label names appear in queries too (descriptions, "by (...)", legends).
        exported.UnionWith(worker.Types.Keys.Concat(api.Types.Keys));
        exported.UnionWith(worker.Samples.Concat(api.Samples).SelectMany(s => s.Labels.Keys));
        // Counted only when the event happens (a takeover, an SDK retry), so absent from a calm system's scrape.
        exported.UnionWith(["agent_lease_takeovers_total", "agent_model_retries_total"]);
        var observability = Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "observability");
        var queries = await File.ReadAllTextAsync(Path.Combine(observability, "alert-rules.yml"))
                      + await File.ReadAllTextAsync(Path.Combine(observability, "grafana", "dashboards", "agent-runtime.json"));

        var named = System.Text.RegularExpressions.Regex.Matches(queries, @"\b(?:agent|gen_ai|http_server|db_client)_[a-z_]+\b")
            .Select(m => m.Value).Distinct().ToList();

        Assert.That(named.Where(n => !exported.Contains(n)), Is.Empty, "metric names the rules or the dashboard use but nobody exports");
    }

    [Test]
    public async Task Should_record_each_model_call_priced_from_the_table_and_aggregate_it_by_run_thread_and_model()
    {
        model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = "vacuum", k = 1 }) with { Model = PricedModel, Usage = new FakeUsage(1000, 200, 400) },
            FakeChatReply.Text("VACUUM reclaims storage.", new FakeUsage(3000, 500)) with { Model = PricedModel });
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        await WaitRunAsync(client, threadId, "What does VACUUM do?", ActivityTraceId.CreateRandom().ToHexString());

        var run = (await GetJsonAsync(client, $"/threads/{threadId}/runs")).AsArray().Single()!;
        var runId = run["run_id"]!.GetValue<string>();
        var usage = await GetJsonAsync(client, $"/threads/{threadId}/runs/{runId}/usage");
        var aggregate = await GetJsonAsync(client, $"/usage?group_by=model,thread&thread_id={threadId}");
        var calls = usage["model_calls"]!.AsArray();
        // The configured price of the model the server says answered: USD 2 / 8 per million input / output tokens.
        var first = ((1000 * 2m) + (200 * 8m)) / 1_000_000m;
        var second = ((3000 * 2m) + (500 * 8m)) / 1_000_000m;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls.Select(c => c!["step"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 3 }), "model steps, in order");
            Assert.That(calls.Select(c => c!["provider"]!.GetValue<string>()), Is.All.EqualTo("openai"));
            Assert.That(calls.Select(c => c!["model"]!.GetValue<string>()), Is.All.EqualTo(PricedModel));
            Assert.That(calls.Select(c => c!["cost_usd"]!.GetValue<decimal>()), Is.EqualTo(new[] { first, second }));
            Assert.That(calls.Select(c => c!["finish_reason"]!.GetValue<string>()), Is.EqualTo(new[] { "tool_calls", "stop" }));
            Assert.That(calls[0]!["input_tokens"]!.GetValue<long>(), Is.EqualTo(1000));
            Assert.That(calls[0]!["cached_input_tokens"]!.GetValue<long>(), Is.EqualTo(400));
            Assert.That(calls.Select(c => c!["latency_ms"]!.GetValue<double>()), Is.All.GreaterThan(0));
            Assert.That(usage["totals"]!["cost_usd"]!.GetValue<decimal>(), Is.EqualTo(first + second));
            Assert.That(run["cost_usd"]!.GetValue<decimal>(), Is.EqualTo(first + second), "the run's counter agrees with its calls");
            Assert.That(aggregate["rows"]!.AsArray().Single()!["model"]!.GetValue<string>(), Is.EqualTo(PricedModel));
            Assert.That(aggregate["rows"]!.AsArray().Single()!["thread"]!.GetValue<string>(), Is.EqualTo(threadId));
            Assert.That(aggregate["rows"]!.AsArray().Single()!["calls"]!.GetValue<long>(), Is.EqualTo(2));
            Assert.That(aggregate["rows"]!.AsArray().Single()!["input_tokens"]!.GetValue<long>(), Is.EqualTo(4000));
            Assert.That(aggregate["rows"]!.AsArray().Single()!["cost_usd"]!.GetValue<decimal>(), Is.EqualTo(first + second));
        }

        await using var sql = system.Database.DataSource.CreateCommand(
            "SELECT sum(calls), sum(cost_usd) FROM agent.usage_daily WHERE model = $1 AND day = (now() AT TIME ZONE 'UTC')::date");
        sql.Parameters.Add(new Npgsql.NpgsqlParameter { Value = PricedModel });
        await using var reader = await sql.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.That((reader.GetInt64(0), reader.GetDecimal(1)), Is.EqualTo((2L, first + second)), "the SQL view sums the same calls");
    }

    [Test]
    public async Task Should_refuse_an_unknown_usage_grouping_or_id_with_a_422()
    {
        using var client = system.Client();

        using var grouping = await client.GetAsync(new Uri("/usage?group_by=planet", UriKind.Relative));
        using var id = await client.GetAsync(new Uri("/usage?thread_id=nope", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(grouping.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(await grouping.Content.ReadAsStringAsync(), Does.Contain("group_by"));
            Assert.That(id.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        }
    }

    [Test]
    public async Task Should_answer_503_on_the_deep_check_once_the_model_server_fails_while_readiness_stays_200()
    {
        var worker = system.WorkerManagement[0];
        using var http = new HttpClient { BaseAddress = worker, Timeout = TimeSpan.FromSeconds(60) };
        var (healthyStatus, healthy) = await GetHealthAsync(http, "/health/deep");
        try
        {
            model.Script(_ => FakeChatReply.Error(500));
            var (failedStatus, failed) = await PollHealthAsync(http, "/health/deep", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(60));
            var (readyStatus, _) = await GetHealthAsync(http, "/health/ready");
            var (apiReadyStatus, _) = await GetHealthAsync(system.Client(), "/health/ready");

            using (Assert.EnterMultipleScope())
            {
                Assert.That(healthyStatus, Is.EqualTo(HttpStatusCode.OK), healthy.ToJsonString());
                Assert.That(healthy["checks"]!["model"]!["status"]!.GetValue<string>(), Is.EqualTo("healthy"));
                Assert.That(failedStatus, Is.EqualTo(HttpStatusCode.ServiceUnavailable), failed.ToJsonString());
                Assert.That(failed["checks"]!["model"]!["status"]!.GetValue<string>(), Is.EqualTo("unhealthy"));
                Assert.That(failed["checks"]!["model"]!["description"]!.GetValue<string>(), Does.Contain("500"));
                Assert.That(failed["checks"]!["postgresql"]!["status"]!.GetValue<string>(), Is.EqualTo("healthy"));
                Assert.That(readyStatus, Is.EqualTo(HttpStatusCode.OK), "readiness does not call the model");
                Assert.That(apiReadyStatus, Is.EqualTo(HttpStatusCode.OK));
            }
        }
        finally
        {
            model.Script(FakeOpenAIServer.SearchThenAnswer);
        }
    }

    // Whether invoke_agent's chain of parents reaches the API's request span (whose own parent is the test client's,
    // never exported): no span between them is still missing.
    private static bool ChainIsComplete(IReadOnlyCollection<ReceivedSpan> trace)
    {
        var byId = trace.GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        if (trace.FirstOrDefault(s => s.Name == "invoke_agent agent") is not { } invoke)
        {
            return false;
        }

        var span = invoke;
        while (!(span.Service == "agent-api" && span.Kind == 2))
        {
            if (!byId.TryGetValue(span.ParentSpanId, out var parent))
            {
                return false;
            }

            span = parent;
        }

        return true;
    }

    private static HashSet<string> Ancestors(ReceivedSpan span, Dictionary<string, ReceivedSpan> byId)
    {
        var ancestors = new HashSet<string>(StringComparer.Ordinal);
        var parent = span.ParentSpanId;
        while (parent.Length > 0 && ancestors.Add(parent) && byId.TryGetValue(parent, out var next))
        {
            parent = next.ParentSpanId;
        }

        return ancestors;
    }

    private static async Task WaitRunAsync(HttpClient client, string threadId, string question, string traceId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/threads/{threadId}/runs/wait")
        {
            Content = new StringContent(RunBody(question), Encoding.UTF8, "application/json"),
        };
        // The test is the trace's root: W3C traceparent, which ASP.NET Core continues.
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode && !body.Contains("__error__", StringComparison.Ordinal), Is.True, body);
    }

    private static async Task<PrometheusText> ScrapeAsync(Uri target)
    {
        using var http = new HttpClient { BaseAddress = target };
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.That(response.Content.Headers.ContentType?.ToString(), Does.StartWith("text/plain; version=0.0.4"));
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static Task<PrometheusText> ScrapeUntilAsync(Uri target, Func<PrometheusText, bool> condition) =>
        Poll.UntilAsync(() => ScrapeAsync(target), condition, TimeSpan.FromSeconds(20));

    private static async Task<(HttpStatusCode Status, JsonNode Body)> GetHealthAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static Task<(HttpStatusCode Status, JsonNode Body)> PollHealthAsync(
        HttpClient http, string path, HttpStatusCode wanted, TimeSpan timeout) =>
        Poll.UntilAsync(() => GetHealthAsync(http, path), result => result.Status == wanted, timeout, TimeSpan.FromMilliseconds(250));
}
