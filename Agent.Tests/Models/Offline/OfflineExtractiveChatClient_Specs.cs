using System.Text.Json;
using Agent.Worker.Models.Offline;
using Agent.Worker.Models.Tokens;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_a_new_question_is_asked
{
    private ChatResponse _response = null!;

    [OneTimeSetUp]
    public async Task Ask()
    {
        using var client = new OfflineExtractiveChatClient();
        _response = await client.GetResponseAsync(ManualPassages.Asked(), ManualPassages.OptionsWithSearch());
    }

    [Test]
    public void Should_call_search_documents_with_the_question_and_k_20()
    {
        var call = _response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.Name, Is.EqualTo("search_documents"));
            Assert.That(call.Arguments!["query"], Is.EqualTo(ManualPassages.Question));
            Assert.That(call.Arguments["k"], Is.EqualTo(20));
            Assert.That(call.CallId, Does.StartWith("call_").And.Length.GreaterThan("call_".Length));
        }
    }

    [Test]
    public void Should_finish_with_tool_calls_and_no_text()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_response.FinishReason, Is.EqualTo(ChatFinishReason.ToolCalls));
            Assert.That(_response.Text, Is.Empty);
        }
    }

    [Test]
    public void Should_report_estimated_usage()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_response.Usage?.InputTokenCount, Is.GreaterThan(0));
            Assert.That(_response.Usage?.OutputTokenCount, Is.GreaterThan(0));
        }
    }

    [Test]
    public async Task Should_derive_the_call_id_from_the_question_and_the_conversation()
    {
        using var client = new OfflineExtractiveChatClient();
        var again = await client.GetResponseAsync(ManualPassages.Asked(), ManualPassages.OptionsWithSearch());
        var other = await client.GetResponseAsync(ManualPassages.Asked("What does VACUUM do?"), ManualPassages.OptionsWithSearch());

        var callId = CallId(_response);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(CallId(again), Is.EqualTo(callId));
            Assert.That(CallId(other), Is.Not.EqualTo(callId));
        }
    }

    private static string CallId(ChatResponse response) =>
        response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().CallId;
}

[TestFixture]
public sealed class When_search_documents_is_not_offered
{
    [Test]
    public async Task Should_say_that_it_cannot_search_instead_of_calling_a_tool()
    {
        using var client = new OfflineExtractiveChatClient();

        var response = await client.GetResponseAsync(ManualPassages.Asked(), new ChatOptions());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>(), Is.Empty);
            Assert.That(response.Text, Does.Contain("cannot search"));
            Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
        }
    }
}

[TestFixture]
public sealed class When_the_search_returned_passages_that_answer_the_question
{
    private ChatResponse _response = null!;

    [OneTimeSetUp]
    public async Task Answer()
    {
        using var client = new OfflineExtractiveChatClient();
        _response = await client.GetResponseAsync(ManualPassages.Searched(ManualPassages.All), ManualPassages.OptionsWithSearch());
    }

    [Test]
    public void Should_quote_the_CREATE_INDEX_USING_GIN_line_verbatim()
    {
        Assert.That(QuotedLines(_response.Text), Has.Some.StartsWith(ManualPassages.GinLine));
    }

    [Test]
    public void Should_open_with_the_best_ranked_passage_and_cite_the_answering_one_as_source_2()
    {
        var quotes = _response.Text.Split("\n\n");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(quotes[1], Does.EndWith("[1]"));
            Assert.That(quotes.Single(q => q.Contains(ManualPassages.GinLine, StringComparison.Ordinal)), Does.EndWith("[2]"));
            Assert.That(_response.Text, Does.Contain("[1] Index Types — 11.2. Index Types (indexes-types.html)"));
            Assert.That(_response.Text, Does.Contain(
                "[2] Preferred Index Types for Text Search — 12.9. Preferred Index Types for Text Search (textsearch-indexes.html)"));
        }
    }

    [Test]
    public void Should_quote_only_sentences_that_appear_in_the_passages()
    {
        var passageText = string.Join('\n', ManualPassages.All.Select(p => p.Text));

        foreach (var line in QuotedLines(_response.Text))
        {
            var quoted = line.EndsWith(']') ? line[..line.LastIndexOf(" [", StringComparison.Ordinal)] : line;
            Assert.That(passageText, Does.Contain(quoted));
        }
    }

    [Test]
    public void Should_not_quote_the_passage_about_the_tsvector_type()
    {
        Assert.That(_response.Text, Does.Not.Contain("datatype-textsearch.html").And.Not.Contain("sorted list of distinct lexemes"));
    }

    [Test]
    public void Should_start_from_the_manual_and_end_with_the_sources()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_response.Text, Does.StartWith("From the documents:\n\n> "));
            Assert.That(_response.Text, Does.Contain("\n\nSources:\n[1] "));
        }
    }

    [Test]
    public void Should_finish_with_stop_and_report_usage()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(_response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>(), Is.Empty);
            Assert.That(_response.Usage?.InputTokenCount, Is.GreaterThanOrEqualTo(TokenCounter.Count(
                ManualPassages.ToolResultJson(ManualPassages.Question, ManualPassages.All), OfflineExtractiveChatClient.ModelId)));
            Assert.That(_response.Usage?.OutputTokenCount, Is.EqualTo(TokenCounter.Count(_response.Text, "gpt-4")),
                "the offline model counts with cl100k_base, gpt-4's encoding");
            Assert.That(_response.Usage?.TotalTokenCount, Is.EqualTo(_response.Usage?.InputTokenCount + _response.Usage?.OutputTokenCount));
        }
    }

    [Test]
    public void Should_say_it_is_an_offline_extractive_model_and_not_an_llm()
    {
        var message = _response.Messages.Single();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(_response.ModelId, Is.EqualTo("offline-extractive"));
            Assert.That(message.AdditionalProperties?["model_provider"], Is.EqualTo("offline"));
            Assert.That(message.AdditionalProperties?["note"], Does.Contain("no LLM was called"));
            Assert.That(_response.AdditionalProperties?["model_provider"], Is.EqualTo("offline"));
        }
    }

    private static IEnumerable<string> QuotedLines(string text) =>
        text.Split('\n').Where(l => l.StartsWith("> ", StringComparison.Ordinal)).Select(l => l[2..]);
}

[TestFixture]
public sealed class When_the_passages_arrive_with_their_whitespace_collapsed
{
    [Test]
    public async Task Should_still_quote_the_CREATE_INDEX_USING_GIN_statement_whole()
    {
        using var client = new OfflineExtractiveChatClient();
        var passages = ManualPassages.All.Select(ManualPassages.Collapsed);

        var response = await client.GetResponseAsync(ManualPassages.Searched(passages), ManualPassages.OptionsWithSearch());

        Assert.That(response.Text.Split('\n'), Has.Some.StartsWith("> " + ManualPassages.GinLine));
    }
}

[TestFixture]
public sealed class When_the_search_found_nothing
{
    [Test]
    public async Task Should_say_plainly_that_the_manual_has_nothing_matching()
    {
        using var client = new OfflineExtractiveChatClient();

        var response = await client.GetResponseAsync(ManualPassages.Searched([]), ManualPassages.OptionsWithSearch());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Text, Does.StartWith("The documents have nothing matching").And.Contain("rephras"));
            Assert.That(response.Text, Does.Not.Contain("> "));
            Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>(), Is.Empty);
        }
    }
}

[TestFixture]
public sealed class When_the_search_tool_failed
{
    [Test]
    public async Task Should_report_the_failure_instead_of_searching_again()
    {
        using var client = new OfflineExtractiveChatClient();
        var conversation = ManualPassages.Asked();
        conversation.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call_1", "search_documents")]));
        conversation.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call_1", "Error: the database is unavailable")]));

        var response = await client.GetResponseAsync(conversation, ManualPassages.OptionsWithSearch());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(response.Text, Does.Contain("search_documents tool failed").And.Contain("the database is unavailable"));
        }
    }
}

[TestFixture]
public sealed class When_a_follow_up_question_is_asked_after_an_answer
{
    [Test]
    public async Task Should_search_again_for_the_new_question()
    {
        using var client = new OfflineExtractiveChatClient();
        var conversation = ManualPassages.Searched(ManualPassages.All);
        conversation.Add(new ChatMessage(ChatRole.Assistant, "From the documents: ..."));
        conversation.Add(new ChatMessage(ChatRole.User, "And a GiST index?"));

        var response = await client.GetResponseAsync(conversation, ManualPassages.OptionsWithSearch());

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.That(call.Arguments!["query"], Is.EqualTo("And a GiST index?"));
    }
}

[TestFixture]
public sealed class When_the_answer_is_streamed
{
    private List<ChatResponseUpdate> _updates = null!;
    private ChatResponse _collected = null!;

    [OneTimeSetUp]
    public async Task Stream()
    {
        using var client = new OfflineExtractiveChatClient();
        _updates = [];
        await foreach (var update in client.GetStreamingResponseAsync(ManualPassages.Searched(ManualPassages.All), ManualPassages.OptionsWithSearch()))
        {
            _updates.Add(update);
        }

        _collected = await client.GetResponseAsync(ManualPassages.Searched(ManualPassages.All), ManualPassages.OptionsWithSearch());
    }

    [Test]
    public void Should_yield_several_text_updates_sharing_one_message_id()
    {
        var textUpdates = _updates.Where(u => u.Contents.OfType<TextContent>().Any()).ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(textUpdates, Has.Count.GreaterThan(1));
            Assert.That(_updates.Select(u => u.MessageId).Distinct().ToList(), Has.Count.EqualTo(1));
            Assert.That(_updates[0].MessageId, Is.Not.Null.And.Not.Empty);
        }
    }

    [Test]
    public void Should_concatenate_to_the_non_streaming_answer()
    {
        Assert.That(string.Concat(_updates.Select(u => u.Text)), Is.EqualTo(_collected.Text));
    }

    [Test]
    public void Should_end_with_the_usage_and_the_finish_reason()
    {
        var last = _updates[^1];

        using (Assert.EnterMultipleScope())
        {
            Assert.That(last.FinishReason, Is.EqualTo(ChatFinishReason.Stop));
            Assert.That(last.Contents.OfType<UsageContent>().Single().Details.OutputTokenCount, Is.EqualTo(_collected.Usage?.OutputTokenCount));
            Assert.That(_updates.Take(_updates.Count - 1).Select(u => u.FinishReason), Has.All.Null);
        }
    }
}

[TestFixture]
public sealed class When_the_same_conversation_is_answered_twice
{
    [Test]
    public async Task Should_give_the_same_answer_ids_and_usage()
    {
        using var first = new OfflineExtractiveChatClient();
        using var second = new OfflineExtractiveChatClient();

        var a = await first.GetResponseAsync(ManualPassages.Searched(ManualPassages.All), ManualPassages.OptionsWithSearch());
        var b = await second.GetResponseAsync(ManualPassages.Searched(ManualPassages.All), ManualPassages.OptionsWithSearch());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(b.Text, Is.EqualTo(a.Text));
            Assert.That(b.Messages.Single().MessageId, Is.EqualTo(a.Messages.Single().MessageId));
            Assert.That(b.ResponseId, Is.EqualTo(a.ResponseId));
            Assert.That(JsonSerializer.Serialize(b.Usage), Is.EqualTo(JsonSerializer.Serialize(a.Usage)));
        }
    }
}

[TestFixture]
public sealed class When_the_client_is_asked_for_its_metadata
{
    [Test]
    public void Should_name_the_offline_provider_and_the_extractive_model()
    {
        using var client = new OfflineExtractiveChatClient();

        var metadata = client.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(metadata?.ProviderName, Is.EqualTo("offline"));
            Assert.That(metadata?.DefaultModelId, Is.EqualTo("offline-extractive"));
            Assert.That(client.GetService(typeof(OfflineExtractiveChatClient)), Is.SameAs(client));
            Assert.That(client.GetService(typeof(ChatClientMetadata), "some key"), Is.Null);
        }
    }
}
