using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Agent.Worker.Evaluation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using Microsoft.Extensions.Configuration;

namespace Agent.Tests.Retrieval;

[TestFixture]
public sealed class When_the_eval_judges_an_answer_with_an_LLM
{
    private const string Question = "What is the fastest way to empty a large table?";
    private const string Answer = "Use TRUNCATE: it removes all rows without scanning them [1]. [1] TRUNCATE (sql-truncate.html)";
    private const string Passages = "{\"results\":[{\"source\":\"sql-truncate.html\",\"text\":\"TRUNCATE quickly removes all rows from a set of tables.\"}]}";

    private FakeOpenAIServer server = null!;

    [SetUp]
    public async Task StartFakeModel() => server = await FakeOpenAIServer.StartAsync();

    [TearDown]
    public async Task StopFakeModel() => await server.DisposeAsync();

    [Test]
    public async Task Should_ask_the_judge_model_with_question_passages_and_answer_and_read_its_two_scores()
    {
        server.Enqueue(FakeChatReply.Text("```json\n{\"relevance\": 5, \"groundedness\": 3, \"reason\": \"Answers it; one claim is not in the passage.\"}\n```"));
        using var client = Client();

        var result = await JudgeAsync(client);

        var relevance = result.Get<NumericMetric>(AnswerJudge.RelevanceMetricName);
        var groundedness = result.Get<NumericMetric>(AnswerJudge.GroundednessMetricName);
        var request = server.Requests.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(relevance.Value, Is.EqualTo(5));
            Assert.That(groundedness.Value, Is.EqualTo(3));
            Assert.That(relevance.Interpretation?.Rating, Is.EqualTo(EvaluationRating.Exceptional));
            Assert.That(groundedness.Interpretation?.Rating, Is.EqualTo(EvaluationRating.Average));
            Assert.That(groundedness.Reason, Does.Contain("one claim is not in the passage"));
            Assert.That(request.LastUserText, Does.Contain(Question).And.Contain("TRUNCATE quickly removes all rows").And.Contain(Answer));
            Assert.That(request.Temperature, Is.Zero, "a judge samples deterministically");
        }
    }

    [Test]
    public async Task Should_leave_the_scores_empty_with_an_error_when_the_reply_is_not_the_asked_json()
    {
        server.Enqueue(FakeChatReply.Text("I would rate it highly."));
        using var client = Client();

        var result = await JudgeAsync(client);

        var relevance = result.Get<NumericMetric>(AnswerJudge.RelevanceMetricName);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(relevance.Value, Is.Null);
            Assert.That(relevance.Diagnostics?.Select(d => d.Severity), Is.EqualTo(new[] { EvaluationDiagnosticSeverity.Error }));
            Assert.That(relevance.Diagnostics?.Single().Message, Does.Contain("I would rate it highly."));
        }
    }

    [Test]
    public async Task Should_take_the_judges_provider_from_the_judge_variables_before_the_agents()
    {
        server.Enqueue(FakeChatReply.Text("{\"relevance\": 4, \"groundedness\": 4, \"reason\": \"fine\"}"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AGENT_JUDGE_OPENAI_API_KEY"] = "sk-judge",
            ["AGENT_JUDGE_OPENAI_BASE_URL"] = server.BaseUrl.ToString(),
            ["AGENT_JUDGE_MODEL"] = "judge-model",
            ["AGENT_MODEL"] = "agent-model",
        }).Build();
        using var client = AnswerJudge.ChatClientFromEnvironment(configuration);

        Assert.That(client, Is.Not.Null);
        var result = await JudgeAsync(client!);

        var request = server.Requests.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.Get<NumericMetric>(AnswerJudge.RelevanceMetricName).Value, Is.EqualTo(4));
            Assert.That(request.Model, Is.EqualTo("judge-model"));
            Assert.That(request.Authorization, Is.EqualTo("Bearer sk-judge"));
            Assert.That(AnswerJudge.ChatClientFromEnvironment(new ConfigurationBuilder().Build()), Is.Null, "no provider, no judge");
        }
    }

    private IChatClient Client() => AnswerJudge.ChatClientFromEnvironment(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["OPENAI_API_KEY"] = "sk-test-fake",
        ["OPENAI_BASE_URL"] = server.BaseUrl.ToString(),
    }).Build())!;

    private static async Task<EvaluationResult> JudgeAsync(IChatClient client) =>
        await new AnswerJudge().EvaluateAsync(
            [new ChatMessage(ChatRole.User, Question)],
            new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)),
            new ChatConfiguration(client),
            [new AnswerJudgeContext(Passages)]);
}

[TestFixture]
[Category("Integration")]
public sealed class When_the_eval_command_runs_with_a_judge_model
{
    [Test]
    public async Task Should_print_the_judges_mean_scores_per_category_and_put_each_answers_scores_in_the_report()
    {
        await using var judge = await FakeOpenAIServer.StartAsync(_ => FakeChatReply.Text("{\"relevance\": 4, \"groundedness\": 5, \"reason\": \"ok\"}"));
        await using var system = await AgentSystem.StartAsync(apiCount: 0);
        var folder = Directory.CreateTempSubdirectory("agent-eval-judge-");
        try
        {
            var questions = Path.Combine(folder.FullName, "questions.tsv");
            var report = Path.Combine(folder.FullName, "report.tsv");
            await File.WriteAllLinesAsync(questions,
            [
                "fts\tHow do I create a GIN index on a tsvector column?\ttextsearch-indexes.html\tGIN",
                "maint\tWhat does VACUUM do?\troutine-vacuuming.html\tVACUUM",
            ]);

            var (exit, output) = await system.RunWorkerCommandAsync(
                ["eval", "--questions", questions, "--figures", Path.Combine(folder.FullName, "figures.json"), "--record", "--report", report],
                TimeSpan.FromMinutes(3),
                new Dictionary<string, string?>
                {
                    ["AGENT_JUDGE_OPENAI_API_KEY"] = "sk-judge",
                    ["AGENT_JUDGE_OPENAI_BASE_URL"] = judge.BaseUrl.ToString(),
                    ["AGENT_JUDGE_MODEL"] = "judge-model",
                });

            var lines = await File.ReadAllLinesAsync(report);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(exit, Is.Zero, output);
                Assert.That(output, Does.Contain("LLM judge (judge-model; reported, not gating)"));
                Assert.That(output, Does.Match(@"all\s+2 \|\s+4\.00\s+5\.00"), output);
                Assert.That(judge.Requests.Select(r => r.LastUserText), Has.Some.Contains("What does VACUUM do?"));
                Assert.That(lines, Has.All.EndsWith("\t4\t5"), "each answer's relevance and groundedness in the report");
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
