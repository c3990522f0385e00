using Agent.Worker.Models.Offline;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_tokens_are_estimated
{
    [TestCase("", 0)]
    [TestCase("abc", 1)]
    [TestCase("abcd", 1)]
    [TestCase("abcde", 2)]
    public void Should_count_one_token_per_four_characters_rounded_up(string text, long tokens)
    {
        Assert.That(TokenEstimator.Estimate(text), Is.EqualTo(tokens));
    }

    [Test]
    public void Should_count_messages_tool_calls_tool_results_and_tool_declarations_in_the_prompt()
    {
        var messages = ManualPassages.Searched(ManualPassages.All);
        var options = ManualPassages.OptionsWithSearch();

        var withEverything = TokenEstimator.EstimatePrompt(messages, options);
        var withoutTools = TokenEstimator.EstimatePrompt(messages, null);
        var withoutResult = TokenEstimator.EstimatePrompt(messages.Take(messages.Count - 1), options);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(withEverything, Is.GreaterThan(withoutTools));
            Assert.That(withEverything - withoutResult, Is.InRange(
                ManualPassages.ToolResultJson(ManualPassages.Question, ManualPassages.All).Length / 4,
                (ManualPassages.ToolResultJson(ManualPassages.Question, ManualPassages.All).Length / 4) + 1));
            Assert.That(TokenEstimator.EstimatePrompt([new ChatMessage(ChatRole.User, "abcdefgh")], null), Is.EqualTo(2));
        }
    }
}
