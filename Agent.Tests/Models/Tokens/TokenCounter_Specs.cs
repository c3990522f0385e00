using Agent.Tests.Models.Offline;
using Agent.Worker.Models.Tokens;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Models.Tokens;

[TestFixture]
public sealed class When_tokens_are_counted
{
    [TestCase("gpt-4o", TokenCounter.O200kBase)]
    [TestCase("gpt-4o-mini", TokenCounter.O200kBase)]
    [TestCase("gpt-4.1-nano", TokenCounter.O200kBase)]
    [TestCase("gpt-5", TokenCounter.O200kBase)]
    [TestCase("o1-mini", TokenCounter.O200kBase)]
    [TestCase("o3", TokenCounter.O200kBase)]
    [TestCase("o4-mini", TokenCounter.O200kBase)]
    [TestCase("openai/gpt-4o", TokenCounter.O200kBase)]
    [TestCase("gpt-4", TokenCounter.Cl100kBase)]
    [TestCase("gpt-4-turbo", TokenCounter.Cl100kBase)]
    [TestCase("gpt-3.5-turbo", TokenCounter.Cl100kBase)]
    [TestCase("offline-extractive", TokenCounter.Cl100kBase)]
    [TestCase("llama3", TokenCounter.Cl100kBase)]
    [TestCase(null, TokenCounter.Cl100kBase)]
    public void Should_choose_the_encoding_by_model_name(string? model, string encoding)
    {
        Assert.That(TokenCounter.EncodingFor(model), Is.EqualTo(encoding));
    }

    // Counts as OpenAI's tiktoken gives them ("hello world" is [15339, 1917] in cl100k_base).
    [TestCase("", "gpt-4", 0)]
    [TestCase("hello world", "gpt-4", 2)]
    [TestCase("Hello, world!", "gpt-4", 4)]
    [TestCase("Hello, world!", "gpt-4o", 4)]
    [TestCase("A partial index is built over a subset of a table.", "gpt-4", 12)]
    public void Should_count_the_tokens_of_a_text(string text, string model, long tokens)
    {
        Assert.That(TokenCounter.Count(text, model), Is.EqualTo(tokens));
    }

    [Test]
    public void Should_count_with_the_models_own_encoding()
    {
        const string text = "Привет, мир! Как дела?";

        using (Assert.EnterMultipleScope())
        {
            Assert.That(TokenCounter.Count(text, "gpt-4"), Is.EqualTo(12));
            Assert.That(TokenCounter.Count(text, "gpt-4o"), Is.EqualTo(8), "o200k_base holds more non-English words");
        }
    }

    [Test]
    public void Should_count_messages_tool_calls_tool_results_tool_declarations_and_framing_in_the_prompt()
    {
        var messages = ManualPassages.Searched(ManualPassages.All);
        var options = ManualPassages.OptionsWithSearch();
        var result = ManualPassages.ToolResultJson(ManualPassages.Question, ManualPassages.All);

        var withEverything = TokenCounter.CountPrompt(messages, options, "gpt-4");
        var withoutTools = TokenCounter.CountPrompt(messages, null, "gpt-4");
        var withoutResult = TokenCounter.CountPrompt(messages.Take(messages.Count - 1), options, "gpt-4");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withEverything, Is.GreaterThan(withoutTools));
            Assert.That(withEverything - withoutResult, Is.EqualTo(TokenCounter.Count(result, "gpt-4") + TokenCounter.TokensPerMessage));
            Assert.That(TokenCounter.CountPrompt([new ChatMessage(ChatRole.User, "hello world")], null, "gpt-4"),
                Is.EqualTo(2 + TokenCounter.TokensPerMessage + TokenCounter.TokensPerReply));
        }
    }
}
