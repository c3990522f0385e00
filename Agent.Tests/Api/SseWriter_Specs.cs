using System.Text;
using Agent.Api.Streaming;

namespace Agent.Tests.Api;

[TestFixture]
public sealed class When_an_event_is_framed_for_server_sent_events
{
    [Test]
    public void Should_write_event_data_and_id_lines_then_a_blank_line()
    {
        var text = SseWriter.Format("values", """{"messages":[]}""", "7");

        Assert.That(text, Is.EqualTo("event: values\ndata: {\"messages\":[]}\nid: 7\n\n"));
    }

    [Test]
    public void Should_split_line_breaks_in_data_into_data_lines_and_strip_them_from_fields()
    {
        var text = SseWriter.Format("bad\r\nname", "a\r\nb\nc", "1\n2");

        Assert.That(text, Is.EqualTo("event: badname\ndata: a\ndata: b\ndata: c\nid: 12\n\n"));
    }

    [Test]
    public void Should_omit_the_id_line_when_there_is_no_id()
    {
        Assert.That(SseWriter.Format("metadata", "{}", null), Is.EqualTo("event: metadata\ndata: {}\n\n"));
    }

    [Test]
    public async Task Should_write_heartbeat_comments_and_events_to_the_stream()
    {
        using var body = new MemoryStream();
        var writer = new SseWriter(body);

        await writer.WriteCommentAsync("heartbeat", CancellationToken.None);
        await writer.WriteEventAsync("end", "null", "3", CancellationToken.None);

        Assert.That(Encoding.UTF8.GetString(body.ToArray()), Is.EqualTo(": heartbeat\n\nevent: end\ndata: null\nid: 3\n\n"));
    }
}
