using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using Agent.Tests.Fakes;
using OpenAI;
using OpenAI.Chat;

namespace Agent.Tests.Models.OpenAI;

[TestFixture]
public sealed class When_the_fake_server_streams_a_tool_call
{
    private FakeOpenAIServer _server = null!;
    private List<string> _events = null!;

    [OneTimeSetUp]
    public async Task StreamAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        _server = await FakeOpenAIServer.StartAsync(cancellationToken: deadline.Token);
        using var http = new HttpClient();
        using var response = await http.PostAsJsonAsync(
            new Uri(_server.BaseUrl + "/chat/completions"),
            new
            {
                model = "m",
                stream = true,
                stream_options = new { include_usage = true },
                messages = new[] { new { role = "user", content = "vacuum" } },
            },
            deadline.Token);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync(deadline.Token);
        _events = [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)];
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public void Should_send_server_sent_events_ending_in_done()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_events, Has.All.StartWith("data: "));
            Assert.That(_events[^1], Is.EqualTo("data: [DONE]"));
        }
    }

    [Test]
    public void Should_split_the_arguments_over_several_chunks()
    {
        var fragments = Chunks()
            .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("tool_calls", out _))
            .Select(d => d.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString())
            .Where(a => !string.IsNullOrEmpty(a))
            .ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fragments, Has.Count.GreaterThan(1));
            Assert.That(JsonDocument.Parse(string.Concat(fragments)).RootElement.GetProperty("query").GetString(), Is.EqualTo("vacuum"));
        }
    }

    [Test]
    public void Should_put_the_usage_on_a_last_chunk_without_choices()
    {
        var last = Chunks()[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.GetProperty("choices").GetArrayLength(), Is.Zero);
            Assert.That(last.GetProperty("usage").GetProperty("total_tokens").GetInt32(), Is.GreaterThan(0));
            Assert.That(Chunks()[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString(), Is.EqualTo("tool_calls"));
        }
    }

    private List<JsonElement> Chunks() =>
        [.. _events.Where(e => e != "data: [DONE]").Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement)];
}

[TestFixture]
public sealed class When_the_fake_server_answers_without_streaming
{
    private FakeOpenAIServer _server = null!;
    private ChatClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await FakeOpenAIServer.StartAsync();
        _client = new ChatClient("m", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = _server.BaseUrl });
    }

    [TearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public async Task Should_return_a_tool_call_the_sdk_reads()
    {
        ChatCompletion completion = await _client.CompleteChatAsync([new UserChatMessage("vacuum")]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(completion.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
            Assert.That(completion.ToolCalls, Has.Count.EqualTo(1));
            Assert.That(completion.ToolCalls[0].FunctionName, Is.EqualTo("search_documents"));
            Assert.That(
                JsonDocument.Parse(completion.ToolCalls[0].FunctionArguments).RootElement.GetProperty("k").GetInt32(),
                Is.EqualTo(3));
            Assert.That(_server.Requests.Single().Stream, Is.False);
        }
    }

    [Test]
    public async Task Should_return_text_and_usage_the_sdk_reads()
    {
        _server.Enqueue(FakeChatReply.Text("Done.", new FakeUsage(7, 2)));

        ChatCompletion completion = await _client.CompleteChatAsync([new UserChatMessage("hi")]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(completion.Content[0].Text, Is.EqualTo("Done."));
            Assert.That(completion.Usage.InputTokenCount, Is.EqualTo(7));
            Assert.That(completion.Usage.TotalTokenCount, Is.EqualTo(9));
        }
    }

    [Test]
    public async Task Should_hold_a_gated_reply_until_released()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Enqueue(FakeChatReply.Text("Late.") with { Gate = gate.Task });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var pending = _client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: deadline.Token);
        await _server.WaitForRequestsAsync(1, deadline.Token);
        var heldWhileGated = !pending.IsCompleted;
        gate.SetResult();
        ChatCompletion completion = await pending;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(heldWhileGated, Is.True);
            Assert.That(completion.Content[0].Text, Is.EqualTo("Late."));
        }
    }
}
