using System.Diagnostics;
using Agent.Telemetry;
using Agent.Tests.Fakes;
using Agent.Worker.Pricing;
using Agent.Worker.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Telemetry;

[TestFixture]
public sealed class When_a_model_call_goes_through_the_telemetry_decorator
{
    private readonly List<Activity> spans = [];
    private ActivityListener listener = null!;
    private string model = null!;

    [SetUp]
    public void Listen()
    {
        model = "model-" + Guid.NewGuid().ToString("N")[..8];
        listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AgentTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
    }

    [TearDown]
    public void StopListening() => listener.Dispose();

    [Test]
    public async Task Should_record_a_chat_span_with_the_GenAI_attributes_and_no_content_by_default()
    {
        var client = Decorated(captureContent: false, ScriptedChatClient.Answer("The secret answer."));

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "The secret question?")], new ChatOptions { ModelId = model }))
        {
            _ = update;
        }

        var span = ChatSpan();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(span.DisplayName, Is.EqualTo($"chat {model}"));
            Assert.That(span.GetTagItem("gen_ai.operation.name"), Is.EqualTo("chat"));
            Assert.That(span.GetTagItem("gen_ai.provider.name"), Is.EqualTo("scripted"));
            Assert.That(span.GetTagItem("gen_ai.request.model"), Is.EqualTo(model));
            Assert.That(span.GetTagItem("gen_ai.response.model"), Is.EqualTo("scripted-model"));
            Assert.That(span.GetTagItem("gen_ai.usage.input_tokens"), Is.EqualTo(20));
            Assert.That(span.GetTagItem("gen_ai.usage.output_tokens"), Is.EqualTo(7));
            Assert.That(span.GetTagItem("gen_ai.response.finish_reasons"), Is.EqualTo(new[] { "stop" }));
            Assert.That(span.GetTagItem("gen_ai.request.stream"), Is.EqualTo(true));
            Assert.That(span.GetTagItem("gen_ai.input.messages"), Is.Null);
            Assert.That(span.GetTagItem("gen_ai.output.messages"), Is.Null);
        }
    }

    [Test]
    public async Task Should_record_prompts_and_completions_only_when_capture_is_enabled()
    {
        var client = Decorated(captureContent: true, ScriptedChatClient.Answer("The secret answer."));

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "The secret question?")], new ChatOptions { ModelId = model });

        var span = ChatSpan();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(span.GetTagItem("gen_ai.input.messages") as string, Does.Contain("The secret question?").And.Contain("\"role\":\"user\""));
            Assert.That(span.GetTagItem("gen_ai.output.messages") as string, Does.Contain("The secret answer.").And.Contain("\"finish_reason\":\"stop\""));
        }
    }

    [Test]
    public void Should_mark_a_failed_call_with_its_error_type()
    {
        var client = new TelemetryChatClient(
            new ScriptedChatClient((_, _, _) => throw new TimeoutException("slow")),
            new ModelPriceTable(new ConfigurationBuilder().Build()),
            new TelemetryOptions(),
            NullLogger<TelemetryChatClient>.Instance);

        Assert.ThrowsAsync<TimeoutException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { ModelId = model }));

        var span = ChatSpan();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(span.Status, Is.EqualTo(ActivityStatusCode.Error));
            Assert.That(span.GetTagItem("error.type"), Is.EqualTo(typeof(TimeoutException).FullName));
        }
    }

    private static TelemetryChatClient Decorated(bool captureContent, ChatResponse response) => new(
        new ScriptedChatClient(response),
        new ModelPriceTable(new ConfigurationBuilder().Build()),
        new TelemetryOptions { CaptureMessageContent = captureContent },
        NullLogger<TelemetryChatClient>.Instance);

    private Activity ChatSpan()
    {
        lock (spans)
        {
            return spans.Single(s => s.GetTagItem("gen_ai.request.model") as string == model);
        }
    }
}
