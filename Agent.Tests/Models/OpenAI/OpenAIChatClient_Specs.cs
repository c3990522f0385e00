using System.ClientModel;
using System.Text.Json;
using Agent.Tests.Fakes;
using Agent.Worker.Models.OpenAI;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Models.OpenAI;

[TestFixture]
public sealed class When_the_model_streams_a_tool_call
{
    private FakeOpenAIServer _server = null!;
    private List<ChatResponseUpdate> _updates = null!;

    [OneTimeSetUp]
    public async Task StreamAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await FakeOpenAIServer.StartAsync(cancellationToken: deadline.Token);
        using var client = OpenAIChatClients.For(_server);
        ChatMessage[] messages =
        [
            new(ChatRole.System, "You answer from the PostgreSQL manual."),
            new(ChatRole.User, "How do I create a partial index?"),
        ];
        var options = new ChatOptions
        {
            ModelId = "test-model",
            Tools = [OpenAIChatClients.SearchDocuments],
            Temperature = 0.2f,
            MaxOutputTokens = 256,
        };

        _updates = await client.GetStreamingResponseAsync(messages, options, deadline.Token).ToListAsync(deadline.Token);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public void Should_return_one_function_call_with_parsed_arguments()
    {
        var calls = _updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>().ToList();

        Assert.That(calls, Has.Count.EqualTo(1));
        var call = calls[0];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.Name, Is.EqualTo("search_documents"));
            Assert.That(call.CallId, Does.StartWith("call_fake_"));
            Assert.That(call.Exception, Is.Null);
            Assert.That(call.Arguments, Is.Not.Null);
            Assert.That(((JsonElement)call.Arguments!["query"]!).GetString(), Is.EqualTo("How do I create a partial index?"));
            Assert.That(((JsonElement)call.Arguments!["k"]!).GetInt32(), Is.EqualTo(3));
        }
    }

    [Test]
    public void Should_finish_with_the_tool_calls_reason_and_the_usage()
    {
        var final = _updates[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(final.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
            Assert.That(final.ModelId, Is.EqualTo("test-model"));
            Assert.That(final.Contents.OfType<UsageContent>().Single().Details.OutputTokenCount, Is.GreaterThan(0));
        }
    }

    [Test]
    public void Should_send_the_model_the_tools_and_the_messages()
    {
        var request = _server.Requests.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(request.Model, Is.EqualTo("test-model"));
            Assert.That(request.Stream, Is.True);
            Assert.That(request.IncludeUsage, Is.True);
            Assert.That(request.Authorization, Is.EqualTo("Bearer " + OpenAIChatClients.ApiKey));
            Assert.That(request.Temperature, Is.EqualTo(0.2).Within(1e-6));
            Assert.That(request.MaxTokens, Is.EqualTo(256));
            Assert.That(request.Messages.Select(m => (m.Role, m.Content)), Is.EqualTo(new[]
            {
                ("system", (string?)"You answer from the PostgreSQL manual."),
                ("user", "How do I create a partial index?"),
            }));
            Assert.That(request.Tools, Has.Count.EqualTo(1));
            Assert.That(request.Tools[0].Name, Is.EqualTo("search_documents"));
            Assert.That(request.Tools[0].Description, Is.EqualTo(OpenAIChatClients.SearchDocuments.Description));
            Assert.That(
                request.Tools[0].Parameters.GetProperty("properties").GetProperty("query").GetProperty("type").GetString(),
                Is.EqualTo("string"));
        }
    }
}

[TestFixture]
public sealed class When_the_model_streams_a_text_answer
{
    private const string Answer = "A partial index covers only the rows that satisfy its predicate.";

    private FakeOpenAIServer _server = null!;
    private OpenAIChatClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await FakeOpenAIServer.StartAsync();
        _server.Enqueue(FakeChatReply.Text(Answer, new FakeUsage(InputTokens: 120, OutputTokens: 13, CachedInputTokens: 64)));
        _client = OpenAIChatClients.For(_server);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Should_yield_several_text_updates_sharing_one_message_id()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var updates = await _client.GetStreamingResponseAsync([new(ChatRole.User, "What is a partial index?")], null, deadline.Token)
            .ToListAsync(deadline.Token);

        var textUpdates = updates.Where(u => u.Contents.OfType<TextContent>().Any()).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(textUpdates, Has.Count.GreaterThan(1));
            Assert.That(string.Concat(textUpdates.Select(u => u.Text)), Is.EqualTo(Answer));
            Assert.That(updates.Select(u => u.MessageId).Distinct().ToList(), Has.Count.EqualTo(1));
            Assert.That(updates[0].MessageId, Does.StartWith("chatcmpl-fake-"));
            Assert.That(updates.Select(u => u.Role), Has.All.EqualTo(ChatRole.Assistant));
        }
    }

    [Test]
    public async Task Should_end_with_the_usage_and_the_stop_reason()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var updates = await _client.GetStreamingResponseAsync([new(ChatRole.User, "What is a partial index?")], null, deadline.Token)
            .ToListAsync(deadline.Token);

        var usage = updates[^1].Contents.OfType<UsageContent>().Single().Details;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(updates[^1].FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(usage.InputTokenCount, Is.EqualTo(120));
            Assert.That(usage.OutputTokenCount, Is.EqualTo(13));
            Assert.That(usage.TotalTokenCount, Is.EqualTo(133));
            Assert.That(usage.CachedInputTokenCount, Is.EqualTo(64));
        }
    }

    [Test]
    public async Task Should_collect_the_same_answer_into_one_response()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var response = await _client.GetResponseAsync([new(ChatRole.User, "What is a partial index?")], null, deadline.Token);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Messages, Has.Count.EqualTo(1));
            Assert.That(response.Text, Is.EqualTo(Answer));
            Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(response.Usage?.InputTokenCount, Is.EqualTo(120));
            Assert.That(response.ModelId, Is.EqualTo(OpenAIProviderOptions.DefaultModelName));
            Assert.That(_server.Requests.Single().Model, Is.EqualTo(OpenAIProviderOptions.DefaultModelName));
        }
    }

    [Test]
    public async Task Should_stop_when_cancelled_mid_stream()
    {
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Script(_ => FakeChatReply.Text(Answer) with { MidStreamGate = stalled.Task });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        await _client.GetResponseAsync([new(ChatRole.User, "first")], null, deadline.Token);

        await using var updates = _client.GetStreamingResponseAsync([new(ChatRole.User, "second")], null, cancellation.Token)
            .GetAsyncEnumerator(cancellation.Token);
        Assert.That(await updates.MoveNextAsync(), Is.True);
        await cancellation.CancelAsync();

        Assert.That(async () => await updates.MoveNextAsync(), Throws.InstanceOf<OperationCanceledException>());
        stalled.SetResult();
    }
}

[TestFixture]
public sealed class When_the_conversation_holds_a_tool_result
{
    private const string ToolResult =
        """{"results":[{"source":"indexes-partial.html","content":"A partial index is built over a subset of a table."}]}""";

    private FakeOpenAIServer _server = null!;
    private ChatResponse _response = null!;

    [OneTimeSetUp]
    public async Task AnswerAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await FakeOpenAIServer.StartAsync(cancellationToken: deadline.Token);
        using var client = OpenAIChatClients.For(_server);
        ChatMessage[] messages =
        [
            new(ChatRole.User, "What is a partial index?"),
            new(ChatRole.Assistant, [
                new TextContent("Let me search."),
                new FunctionCallContent(
                    "call_1", "search_documents", new Dictionary<string, object?> { ["query"] = "partial index", ["k"] = 3 }),
            ]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", ToolResult)]),
        ];

        var options = new ChatOptions { Tools = [OpenAIChatClients.SearchDocuments] };
        _response = await client.GetResponseAsync(messages, options, deadline.Token);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public void Should_send_the_tool_result_with_its_tool_call_id()
    {
        var toolMessage = _server.Requests.Single().Messages[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(toolMessage.Role, Is.EqualTo("tool"));
            Assert.That(toolMessage.ToolCallId, Is.EqualTo("call_1"));
            Assert.That(toolMessage.Content, Is.EqualTo(ToolResult));
        }
    }

    [Test]
    public void Should_send_the_assistant_message_with_its_text_and_tool_call()
    {
        var assistant = _server.Requests.Single().Messages[1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(assistant.Role, Is.EqualTo("assistant"));
            Assert.That(assistant.Content, Is.EqualTo("Let me search."));
            Assert.That(assistant.ToolCalls, Has.Count.EqualTo(1));
            Assert.That(assistant.ToolCalls[0].Id, Is.EqualTo("call_1"));
            Assert.That(assistant.ToolCalls[0].Name, Is.EqualTo("search_documents"));
            Assert.That(assistant.ToolCalls[0].Arguments.GetProperty("query").GetString(), Is.EqualTo("partial index"));
            Assert.That(assistant.ToolCalls[0].Arguments.GetProperty("k").GetInt32(), Is.EqualTo(3));
        }
    }

    [Test]
    public void Should_answer_with_text_quoting_the_tool_result()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(_response.Text, Does.Contain("A partial index is built over a subset of a table."));
            Assert.That(_response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>(), Is.Empty);
        }
    }
}

[TestFixture]
public sealed class When_the_server_answers_with_an_error_status
{
    private FakeOpenAIServer _server = null!;

    [SetUp]
    public async Task StartAsync() => _server = await FakeOpenAIServer.StartAsync();

    [TearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public async Task Should_retry_a_500_and_return_the_answer()
    {
        _server.Enqueue(FakeChatReply.Error(500), FakeChatReply.Text("Recovered."));
        using var client = OpenAIChatClients.For(_server, maxRetries: 1);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var response = await client.GetResponseAsync([new(ChatRole.User, "hello")], null, deadline.Token);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Text, Is.EqualTo("Recovered."));
            Assert.That(_server.Requests, Has.Count.EqualTo(2));
        }
    }

    [Test]
    public void Should_surface_a_500_when_retries_are_off()
    {
        _server.Enqueue(FakeChatReply.Error(500));
        using var client = OpenAIChatClients.For(_server, maxRetries: 0);

        var error = Assert.ThrowsAsync<ClientResultException>(async () =>
            await client.GetResponseAsync([new(ChatRole.User, "hello")]));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Status, Is.EqualTo(500));
            Assert.That(_server.Requests, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public void Should_surface_a_429_with_its_retry_after_when_retries_are_off()
    {
        _server.Enqueue(FakeChatReply.Error(429, retryAfter: TimeSpan.FromSeconds(20)));
        using var client = OpenAIChatClients.For(_server, maxRetries: 0);

        var error = Assert.ThrowsAsync<ClientResultException>(async () =>
            await client.GetStreamingResponseAsync([new(ChatRole.User, "hello")]).ToListAsync());

        string? retryAfter = null;
        error.GetRawResponse()?.Headers.TryGetValue("Retry-After", out retryAfter);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error.Status, Is.EqualTo(429));
            Assert.That(retryAfter, Is.EqualTo("20"));
            Assert.That(_server.Requests, Has.Count.EqualTo(1));
        }
    }
}

[TestFixture]
public sealed class When_the_client_describes_itself
{
    [Test]
    public void Should_name_openai_and_its_endpoint_by_default()
    {
        using var client = new OpenAIChatClient(new OpenAIProviderOptions { ApiKey = "sk-test" });

        var metadata = client.GetService<ChatClientMetadata>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(metadata?.ProviderName, Is.EqualTo("openai"));
            Assert.That(metadata?.ProviderUri, Is.EqualTo(new Uri("https://api.openai.com/v1")));
            Assert.That(metadata?.DefaultModelId, Is.EqualTo("gpt-4o-mini"));
        }
    }

    [Test]
    public void Should_name_azure_for_an_azure_openai_host()
    {
        var endpoint = new Uri("https://contoso.openai.azure.com/openai/v1/");
        using var client = new OpenAIChatClient(
            new OpenAIProviderOptions { ApiKey = "key", BaseUrl = endpoint, DefaultModel = "my-deployment" });

        var metadata = client.GetService<ChatClientMetadata>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(metadata?.ProviderName, Is.EqualTo("azure.ai.openai"));
            Assert.That(metadata?.ProviderUri, Is.EqualTo(endpoint));
            Assert.That(metadata?.DefaultModelId, Is.EqualTo("my-deployment"));
        }
    }

    [Test]
    public void Should_name_openai_for_another_compatible_server()
    {
        using var client = new OpenAIChatClient(
            new OpenAIProviderOptions { ApiKey = "ollama", BaseUrl = new Uri("http://localhost:11434/v1") });

        Assert.That(client.GetService<ChatClientMetadata>()?.ProviderName, Is.EqualTo("openai"));
    }
}
