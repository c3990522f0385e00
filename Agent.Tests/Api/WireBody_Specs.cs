using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Assistants;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence.Runs;

namespace Agent.Tests.Api;

[TestFixture]
public sealed class When_a_body_is_read_as_a_wire_record
{
    [Test]
    public void Should_know_a_records_fields_from_its_generated_metadata()
    {
        var declared = typeof(RunCreate).GetProperties()
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name)
            .OfType<string>();

        Assert.That(WireBody.Names(RunsJsonContext.Default.RunCreate), Is.EquivalentTo(declared).And.Contains("multitask_strategy"));
    }

    [TestCase("""{"recursion_limit":5,"temperature":1}""", "config.temperature is not supported; config takes recursion_limit, tags and configurable.")]
    [TestCase("""{"Tags":["a"]}""", "config.Tags is not supported; config takes recursion_limit, tags and configurable.")]
    public void Should_refuse_a_field_a_closed_record_does_not_declare(string config, string reason)
    {
        var (value, error) = AssistantConfig.Validate(JsonNode.Parse(config), GraphToolset.BuiltIn);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(value, Is.Null);
            Assert.That(error, Is.EqualTo(reason));
        }
    }

    [Test]
    public void Should_ignore_a_field_an_open_record_does_not_declare()
    {
        var (request, error) = RunRequest.Parse(
            JsonNode.Parse("""{"assistant_id":"agent","stream_subgraphs":true,"x_client":{"a":1}}""")!.AsObject(), stateless: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(request!.AssistantId, Is.EqualTo("agent"));
        }
    }

    [TestCase("""{"assistant_id":"agent","feedback_keys":["x"]}""", "feedback_keys is not supported by this server yet.")]
    [TestCase("""{"assistant_id":"agent","multitask_strategy":5}""", "multitask_strategy must be a string.")]
    [TestCase("""{"assistant_id":"agent","multitask_strategy":"Enqueue"}""", "multitask_strategy must be one of reject, enqueue, interrupt, rollback.")]
    [TestCase("""{"assistant_id":"agent","if_not_exists":"maybe"}""", "if_not_exists must be 'create' or 'reject'.")]
    [TestCase("""{"assistant_id":"agent","on_disconnect":true}""", "on_disconnect must be a string.")]
    [TestCase("""{"assistant_id":"agent","on_completion":"later"}""", "on_completion must be 'delete' or 'keep'.")]
    [TestCase("""{"assistant_id":"agent","stream_resumable":"yes"}""", "stream_resumable must be a boolean.")]
    [TestCase("""{"assistant_id":"agent","checkpoint_during":false}""", "checkpoint_during must be true: this server checkpoints every step.")]
    [TestCase("""{"assistant_id":"agent","after_seconds":"10"}""", "after_seconds must be a number of seconds from 0 to 604800.")]
    [TestCase("""{"assistant_id":"agent","after_seconds":604801}""", "after_seconds must be a number of seconds from 0 to 604800.")]
    [TestCase("""{"assistant_id":"agent","webhook":5}""", "webhook must be an absolute http(s) URL of at most 2048 characters.")]
    [TestCase("""{"assistant_id":"agent","config":[]}""", "config must be an object.")]
    [TestCase("""{"assistant_id":"agent","checkpoint":"abc"}""", "checkpoint must be an object with a checkpoint_id.")]
    [TestCase("""{"assistant_id":"  "}""", "assistant_id is required: an assistant id or a graph name such as 'agent'.")]
    public void Should_refuse_a_mistyped_field_with_its_reason(string json, string reason)
    {
        var (request, error) = RunRequest.Parse(JsonNode.Parse(json)!.AsObject(), stateless: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(request, Is.Null);
            Assert.That(error, Is.EqualTo(reason));
        }
    }

    [Test]
    public void Should_map_the_wire_spellings_to_the_enums()
    {
        var (request, error) = RunRequest.Parse(
            JsonNode.Parse("""
                {"assistant_id":"agent","multitask_strategy":"rollback","if_not_exists":"create","on_disconnect":"cancel",
                 "on_completion":"keep","durability":"async","stream_resumable":true,"after_seconds":2}
                """)!.AsObject(),
            stateless: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(request!.MultitaskStrategy, Is.EqualTo(MultitaskStrategy.Rollback));
            Assert.That(request.CreateThreadIfMissing, Is.True);
            Assert.That(request.CancelOnDisconnect, Is.True);
            Assert.That(request.DeleteThreadOnCompletion, Is.False);
            Assert.That(request.StartDelay, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(request.Kwargs["on_disconnect"]!.GetValue<string>(), Is.EqualTo("cancel"));
            Assert.That(request.Kwargs["stream_resumable"]!.GetValue<bool>(), Is.True);
        }
    }
}
