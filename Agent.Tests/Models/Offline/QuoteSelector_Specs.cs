using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_quotes_are_selected_for_the_GIN_question
{
    private IReadOnlyList<Quote> _quotes = null!;

    [OneTimeSetUp]
    public void Select() => _quotes = QuoteSelector.Select(ManualPassages.Question, ManualPassages.All);

    [Test]
    public void Should_put_the_lead_in_and_the_GIN_statement_first()
    {
        Assert.That(_quotes[0].Units.Select(u => u.Text), Is.EqualTo(new[] { "To create such an index, do one of:", ManualPassages.GinLine }));
    }

    [Test]
    public void Should_quote_the_answering_passage_before_any_other()
    {
        Assert.That(_quotes[0].PassageIndex, Is.EqualTo(ManualPassages.All.ToList().IndexOf(ManualPassages.TextSearchIndexes)));
    }

    [Test]
    public void Should_stay_within_four_quotes_and_900_characters()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(_quotes, Has.Count.InRange(1, QuoteSelector.DefaultMaxQuotes));
            Assert.That(_quotes.Sum(q => q.Units.Sum(u => u.Text.Length + 1)), Is.LessThanOrEqualTo(QuoteSelector.DefaultMaxChars));
        }
    }

    [Test]
    public void Should_add_the_sentence_that_names_the_tsvector_type()
    {
        Assert.That(_quotes.SelectMany(q => q.Units).Select(u => u.Text), Does.Contain("The column must be of tsvector type."));
    }

    [Test]
    public void Should_keep_the_quotes_of_a_passage_in_passage_order()
    {
        var firstUnits = _quotes.Where(q => q.PassageIndex == _quotes[0].PassageIndex).Select(q => q.FirstUnit);

        Assert.That(firstUnits, Is.Ordered);
    }
}

[TestFixture]
public sealed class When_the_budget_is_small
{
    [Test]
    public void Should_cut_a_single_long_sentence_at_a_word_and_mark_the_cut()
    {
        var quotes = QuoteSelector.Select(ManualPassages.Question, ManualPassages.All, maxQuotes: 4, maxChars: 30);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(quotes, Has.Count.EqualTo(1));
            Assert.That(quotes[0].Units.Single().Text, Has.Length.LessThanOrEqualTo(30).And.EndWith(" …"));
        }
    }

    [Test]
    public void Should_take_a_single_quote_when_asked_for_one()
    {
        Assert.That(QuoteSelector.Select(ManualPassages.Question, ManualPassages.All, maxQuotes: 1), Has.Count.EqualTo(1));
    }
}

[TestFixture]
public sealed class When_no_sentence_shares_a_word_with_the_question
{
    [Test]
    public void Should_select_nothing()
    {
        Assert.That(QuoteSelector.Select("How are sequences replicated?", [ManualPassages.TsvectorType]), Is.Empty);
    }
}

[TestFixture]
public sealed class When_the_best_quote_is_in_a_lower_ranked_passage
{
    [Test]
    public void Should_read_that_passage_first_and_still_quote_the_higher_ranked_one_after_it()
    {
        var passages = new[] { ManualPassages.TextSearchIndexes with { Rank = 0.9 }, ManualPassages.IndexTypes with { Rank = 0.1 } };

        var quotes = QuoteSelector.Select("How do I create a Hash index or a GIN index?", passages);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(quotes[0].PassageIndex, Is.EqualTo(1));
            Assert.That(quotes.TakeWhile(q => q.PassageIndex == 1).SelectMany(q => q.Units).Select(u => u.Text), Does.Contain(ManualPassages.HashLine));
            Assert.That(quotes.Select(q => q.PassageIndex), Does.Contain(0));
        }
    }
}
