using System.Text.Json.Nodes;
using Agent.Api.Runs;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;

namespace Agent.Tests.Api;

[TestFixture]
public sealed class When_a_run_request_is_validated
{
    private static (RunRequest? Request, string? Error) Parse(string json, bool stateless = false) =>
        RunRequest.Parse(JsonNode.Parse(json)!.AsObject(), stateless);

    [Test]
    public void Should_normalise_role_and_tuple_messages_to_langchain_form_with_ids()
    {
        var (request, error) = Parse("""
            {"assistant_id":"agent","input":{"messages":[{"role":"user","content":"hi"},["assistant","hello"],{"type":"human","content":[{"type":"text","text":"x"}],"id":"given"}]}}
            """);

        Assert.That(error, Is.Null);
        var messages = request!.InputMessages;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(messages.Select(m => m!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "human", "ai", "human" }));
            Assert.That(messages[0]!["id"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(messages[2]!["id"]!.GetValue<string>(), Is.EqualTo("given"));
            Assert.That(request.StreamModes.Select(m => WireName.Of(m)), Is.EqualTo(new[] { "values" }));
            Assert.That(request.RecursionLimit, Is.EqualTo(25));
            Assert.That(request.MultitaskStrategy, Is.EqualTo(MultitaskStrategy.Enqueue));
        }
    }

    [TestCase("""{}""", "assistant_id is required")]
    [TestCase("""{"assistant_id":5}""", "assistant_id is required")]
    [TestCase("""{"assistant_id":"agent","input":"hi"}""", "input must be an object")]
    [TestCase("""{"assistant_id":"agent","input":{"messages":{}}}""", "input.messages must be a list")]
    [TestCase("""{"assistant_id":"agent","input":{"messages":[{"role":"wizard","content":"x"}]}}""", "role must be one of")]
    [TestCase("""{"assistant_id":"agent","input":{"messages":[{"role":"user","content":42}]}}""", "content must be a string")]
    [TestCase("""{"assistant_id":"agent","config":{"recursion_limit":"many"}}""", "recursion_limit must be an integer")]
    [TestCase("""{"assistant_id":"agent","config":{"recursion_limit":100000}}""", "recursion_limit must be between")]
    [TestCase("""{"assistant_id":"agent","stream_mode":"tokens"}""", "stream_mode 'tokens' is not supported")]
    [TestCase("""{"assistant_id":"agent","stream_mode":[1]}""", "stream_mode must be a string or a list")]
    [TestCase("""{"assistant_id":"agent","multitask_strategy":"chaos"}""", "multitask_strategy must be one of")]
    [TestCase("""{"assistant_id":"agent","command":{"resume":1},"input":{"messages":[]}}""", "input and command cannot both be given")]
    [TestCase("""{"assistant_id":"agent","command":"resume"}""", "command must be an object")]
    [TestCase("""{"assistant_id":"agent","command":{"jump":"agent"}}""", "command.jump is not a field of command")]
    [TestCase("""{"assistant_id":"agent","command":{"update":[1]}}""", "command.update must be an object")]
    [TestCase("""{"assistant_id":"agent","command":{"update":{"messages":[{"role":"wizard","content":"x"}]}}}""", "command.update: ")]
    [TestCase("""{"assistant_id":"agent","command":{"goto":5}}""", "command.goto must be a node name")]
    [TestCase("""{"assistant_id":"agent","command":{"goto":[{"node":"a","arg":1}]}}""", "Send objects are not supported")]
    [TestCase("""{"assistant_id":"agent","interrupt_before":"tools"}""", "interrupt_before must be \"*\" or a list")]
    [TestCase("""{"assistant_id":"agent","interrupt_after":[""]}""", "interrupt_after must be \"*\" or a list")]
    [TestCase("""{"assistant_id":"agent","webhook":"ftp://example.com/hook"}""", "webhook must be an absolute http(s) URL")]
    [TestCase("""{"assistant_id":"agent","after_seconds":-1}""", "after_seconds must be a number")]
    [TestCase("""{"assistant_id":"agent","checkpoint_id":"x"}""", "checkpoint_id must be a checkpoint UUID")]
    [TestCase("""{"assistant_id":"agent","durability":"exit"}""", "durability must be")]
    [TestCase("""{"assistant_id":"agent","metadata":[1]}""", "metadata must be an object")]
    public void Should_refuse_a_bad_field_with_a_reason(string json, string reason)
    {
        var (request, error) = Parse(json);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(request, Is.Null);
            Assert.That(error, Does.Contain(reason));
        }
    }

    [Test]
    public void Should_keep_a_resume_command_and_breakpoints_for_the_worker_with_no_input()
    {
        var (request, error) = Parse("""
            {"assistant_id":"agent","command":{"resume":{"decisions":[{"type":"approve"}]},"update":{"messages":[{"role":"user","content":"go"}]},"goto":"tools"},"interrupt_before":"*","interrupt_after":["agent"]}
            """);

        Assert.That(error, Is.Null);
        var kwargs = request!.Kwargs;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(kwargs["input"], Is.Null, "no input: the worker continues the thread");
            Assert.That(kwargs["command"]!["resume"]!["decisions"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("approve"));
            Assert.That(kwargs["command"]!["update"]!["messages"]![0]!["type"]!.GetValue<string>(), Is.EqualTo("human"), "the update's messages in LangChain form");
            Assert.That(kwargs["command"]!["goto"]!.GetValue<string>(), Is.EqualTo("tools"));
            Assert.That(kwargs["interrupt_before"]!.GetValue<string>(), Is.EqualTo("*"));
            Assert.That(kwargs["interrupt_after"]![0]!.GetValue<string>(), Is.EqualTo("agent"));
        }
    }

    [Test]
    public void Should_delete_a_stateless_runs_thread_by_default_only()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Parse("""{"assistant_id":"agent"}""", stateless: true).Request!.DeleteThreadOnCompletion, Is.True);
            Assert.That(Parse("""{"assistant_id":"agent","on_completion":"keep"}""", stateless: true).Request!.DeleteThreadOnCompletion, Is.False);
            Assert.That(Parse("""{"assistant_id":"agent"}""").Request!.DeleteThreadOnCompletion, Is.False);
        }
    }
}
