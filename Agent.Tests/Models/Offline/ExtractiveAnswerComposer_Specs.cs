using System.Text.RegularExpressions;
using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_an_answer_is_composed_from_passages
{
    [Test]
    public void Should_number_the_sources_in_order_of_first_citation()
    {
        var answer = ExtractiveAnswerComposer.Compose("GIN index on a tsvector column or a Hash index", ManualPassages.All);
        var parts = answer.Split("\n\nSources:\n");
        var citations = Regex.Matches(parts[0], @" \[(\d+)\]$", RegexOptions.Multiline).Select(m => int.Parse(m.Groups[1].Value));
        var sources = parts[1].Split('\n');
        var hashSource = sources.Single(s => s.EndsWith("(indexes-types.html)", StringComparison.Ordinal));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(citations.Distinct(), Is.EqualTo(Enumerable.Range(1, sources.Length)));
            Assert.That(sources.Select(s => s[..s.IndexOf(' ', StringComparison.Ordinal)]),
                Is.EqualTo(Enumerable.Range(1, sources.Length).Select(i => $"[{i}]")));
            Assert.That(hashSource, Does.EndWith("Index Types — 11.2. Index Types (indexes-types.html)"));
            Assert.That(answer, Does.Contain("> " + ManualPassages.HashLine + " " + hashSource[..hashSource.IndexOf(' ', StringComparison.Ordinal)]));
        }
    }

    [Test]
    public void Should_merge_the_same_chunk_returned_by_two_searches()
    {
        var once = ExtractiveAnswerComposer.Compose(ManualPassages.Question, [ManualPassages.TextSearchIndexes]);
        var twice = ExtractiveAnswerComposer.Compose(
            ManualPassages.Question, [ManualPassages.TextSearchIndexes, ManualPassages.TextSearchIndexes]);

        Assert.That(twice, Is.EqualTo(once));
    }

    [Test]
    public void Should_leave_out_a_heading_that_repeats_the_title()
    {
        var passage = ManualPassages.TextSearchIndexes with { Title = "CREATE INDEX", Heading = "CREATE INDEX", Source = "sql-createindex.html" };

        var answer = ExtractiveAnswerComposer.Compose(ManualPassages.Question, [passage]);

        Assert.That(answer, Does.EndWith("\n[1] CREATE INDEX (sql-createindex.html)"));
    }

    [Test]
    public void Should_say_there_is_nothing_to_quote_when_no_sentence_matches()
    {
        var answer = ExtractiveAnswerComposer.Compose("How are sequences replicated?", [ManualPassages.TsvectorType]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(answer, Does.Contain("nothing to quote").And.Contain("Text Search Types"));
            Assert.That(answer, Does.Not.StartWith(ExtractiveAnswerComposer.Preamble));
        }
    }
}
