using System.Text.Json.Nodes;
using Agent.Api.Crons;
using Agent.Api.Http;
using Agent.Api.Threads;
using Agent.Persistence.Crons;

namespace Agent.Tests.Api;

[TestFixture]
public sealed class When_the_other_request_bodies_are_read_as_wire_records
{
    private static JsonObject Body(string json) => JsonNode.Parse(json)!.AsObject();

    [TestCase("""{"limit":"ten"}""", "limit must be an integer.")]
    [TestCase("""{"limit":2.5}""", "limit must be an integer.")]
    [TestCase("""{"limit":0}""", "limit must be between 1 and 1000.")]
    [TestCase("""{"offset":-1}""", "offset must be 0 or more.")]
    [TestCase("""{"sort_order":"up"}""", "sort_order must be 'asc' or 'desc'.")]
    [TestCase("""{"sort_by":"size"}""", "sort_by must be one of created_at, thread_id.")]
    [TestCase("""{"select":["thread_id",1]}""", "select must be a list of strings.")]
    [TestCase("""{"select":["size"]}""", "select names an unknown field 'size'; fields: created_at, thread_id.")]
    public void Should_refuse_bad_paging_with_its_reason(string json, string reason)
    {
        var (search, error) = SearchRequest.Parse(Body(json), ["created_at", "thread_id"], ["created_at", "thread_id"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(search, Is.Null);
            Assert.That(error, Is.EqualTo(reason));
        }
    }

    [Test]
    public void Should_read_paging_with_its_defaults_and_a_whole_number_written_as_a_decimal()
    {
        var (search, error) = SearchRequest.Parse(Body("""{"limit":20.0,"sort_order":"asc","thread_search_filter":1}"""), ["created_at"], ["created_at"]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(search, Is.EqualTo(new SearchRequest(20, 0, "created_at", false, null)));
        }
    }

    [TestCase("""{"status":"sleeping"}""", "status must be one of idle, busy, interrupted, error.")]
    [TestCase("""{"ids":["not-a-uuid"]}""", "ids must be thread UUIDs, got 'not-a-uuid'.")]
    [TestCase("""{"metadata":"x"}""", "metadata must be an object.")]
    [TestCase("""{"extract":{"a":"values.a"}}""", "extract is not supported by this server.")]
    [TestCase("""{"values":{"messages":[]}}""", "values is not supported as a filter by this server: state lives in checkpoints, not in the thread row.")]
    public void Should_refuse_a_bad_thread_filter_with_its_reason(string json, string reason)
    {
        var (filter, error) = ThreadFilters.ReadSearch(Body(json));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(filter, Is.Null);
            Assert.That(error, Is.EqualTo(reason));
        }
    }

    [TestCase("""{"values":{"todo":[]}}""", "values.todo is not a channel of this graph; its state has only messages.")]
    [TestCase("""{"values":[]}""", "values must be an object.")]
    [TestCase("""{"as_node":"planner"}""", "as_node must be one of __start__, agent, tools.")]
    [TestCase("""{"as_node":7}""", "as_node must be one of __start__, agent, tools.")]
    public void Should_refuse_a_bad_state_update_with_its_reason(string json, string reason)
    {
        var (update, error) = StateUpdateRequest.Read(Body(json));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(update, Is.Null);
            Assert.That(error, Is.EqualTo(reason));
        }
    }

    [TestCase("""{"timezone":"UTC"}""", true, "schedule is required: a five-field cron expression such as '27 15 * * *'.")]
    [TestCase("""{"schedule":5}""", true, "schedule is required: a five-field cron expression such as '27 15 * * *'.")]
    [TestCase("""{"schedule":"* * * * *","enabled":"yes"}""", true, "enabled must be a boolean.")]
    [TestCase("""{"schedule":"* * * * *","end_time":"soon"}""", true, "end_time must be an ISO 8601 date-time.")]
    [TestCase("""{"schedule":"* * * * *","on_run_completed":"archive"}""", true, "on_run_completed must be 'delete' or 'keep'.")]
    [TestCase("""{"schedule":"* * * * *","if_not_exists":"maybe"}""", true, "if_not_exists must be 'create' or 'reject'.")]
    [TestCase("""{"schedule":5}""", false, "schedule '' is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. '27 15 * * *'.")]
    public void Should_refuse_a_bad_cron_field_with_its_reason(string json, bool create, string reason)
    {
        var (cron, _, error) = CronRequest.Read(Body(json), new Cron { Schedule = "0 * * * *" }, threadId: null, create);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(cron, Is.Null);
            Assert.That(error, Is.EqualTo(reason));
        }
    }

    [Test]
    public void Should_split_a_cron_body_into_the_crons_fields_and_the_run_fields()
    {
        var body = Body("""{"schedule":"* * * * *","timezone":"UTC","enabled":false,"if_not_exists":"create","assistant_id":"agent","input":{}}""");

        var (cron, createThread, error) = CronRequest.Read(body, new Cron { Schedule = string.Empty }, Guid.NewGuid(), create: true);
        var run = CronRequest.RunBody(body);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(cron!.Enabled, Is.False);
            Assert.That(createThread, Is.True);
            Assert.That(run.Select(p => p.Key), Is.EqualTo(new[] { "assistant_id", "input" }));
        }
    }
}
