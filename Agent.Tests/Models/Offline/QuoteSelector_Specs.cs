using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_quotes_are_selected_for_the_GIN_question
{
    private IReadOnlyList<Quote> _quotes = null!;

    [OneTimeSetUp]
    public void Select() => _quotes = QuoteSelector.Select(ManualPassages.Question, ManualPassages.All);

    [Test]
    public void Should_quote_the_lead_in_and_the_GIN_statement_together()
    {
        Assert.That(_quotes.Select(q => q.Units.Select(u => u.Text)), Has.Some.EqualTo(new[] { "To create such an index, do one of:", ManualPassages.GinLine }));
    }

    [Test]
    public void Should_open_with_the_best_ranked_passage_whose_best_sentence_is_close_to_the_best()
    {
        // indexes-types.html ranks first and its Hash example is close enough: the ranking chooses the opening page.
        Assert.That(_quotes[0].PassageIndex, Is.EqualTo(ManualPassages.All.ToList().IndexOf(ManualPassages.IndexTypes)));
    }

    [Test]
    public void Should_quote_the_answering_passage_too()
    {
        Assert.That(_quotes.Select(q => q.PassageIndex), Does.Contain(ManualPassages.All.ToList().IndexOf(ManualPassages.TextSearchIndexes)));
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
    public void Should_open_with_the_higher_ranked_passage_and_still_quote_the_lower_ranked_one_after_it()
    {
        var passages = new[] { ManualPassages.TextSearchIndexes with { Rank = 0.9 }, ManualPassages.IndexTypes with { Rank = 0.1 } };

        var quotes = QuoteSelector.Select("How do I create a Hash index or a GIN index?", passages);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(quotes[0].PassageIndex, Is.Zero);
            Assert.That(quotes.Where(q => q.PassageIndex == 1).SelectMany(q => q.Units).Select(u => u.Text), Does.Contain(ManualPassages.HashLine));
        }
    }
}

[TestFixture]
public sealed class When_quotes_are_selected_by_similarity_as_well_as_by_words
{
    private const string Question = "wipe out everything stored in a relation";
    private const string Truncate = "TRUNCATE quickly removes all rows from a set of tables.";

    // Only the first passage shares words with the question; the second answers it in other words.
    private static readonly SearchPassage[] Passages =
    [
        new(1, 10, "storage-file-layout.html", "Database File Layout", null, "Each relation is stored in its own file. The file is named after the relation's filenode.", 0.03),
        new(2, 20, "sql-truncate.html", "TRUNCATE", "Description", $"{Truncate} It has the same effect as an unqualified DELETE on each table.", 0.02),
    ];

    [Test]
    public void Should_quote_the_sentence_that_answers_in_other_words_when_its_similarity_is_high()
    {
        var texts = QuoteSelector.CandidateTexts(Passages);
        var similarities = texts.Select(t => t.Contains(Truncate, StringComparison.Ordinal) ? 0.9f : 0.25f).ToList();

        var quotes = QuoteSelector.Select(Question, Passages, similarities: similarities);

        Assert.That(quotes.SelectMany(q => q.Units).Select(u => u.Text), Does.Contain(Truncate));
    }

    [Test]
    public void Should_not_quote_it_by_words_alone()
    {
        var quotes = QuoteSelector.Select(Question, Passages);

        Assert.That(quotes.SelectMany(q => q.Units).Select(u => u.Text), Does.Not.Contain(Truncate));
    }

    [Test]
    public void Should_give_the_candidate_texts_their_page_title_and_heading_as_chunks_are_embedded()
    {
        Assert.That(QuoteSelector.CandidateTexts(Passages), Does.Contain($"TRUNCATE: Description\n{Truncate}"));
    }

    [Test]
    public void Should_refuse_similarities_that_are_not_one_per_candidate()
    {
        Assert.That(() => QuoteSelector.Select(Question, Passages, similarities: [0.5f]), Throws.ArgumentException);
    }
}

[TestFixture]
public sealed class When_a_lower_ranked_passage_has_a_slightly_better_sentence
{
    private const string Question = "keep just certain entries searchable";

    // Neither sentence shares a word with the question: the similarities alone say how well each answers it.
    private static readonly SearchPassage[] Passages =
    [
        new(1, 10, "indexes-partial.html", "Partial Indexes", null, "A partial index is built over a subset of a table.", 0.03),
        new(2, 20, "sql-createindex.html", "CREATE INDEX", "Parameters", "The WHERE clause gives the predicate of a partial index.", 0.02),
    ];

    [Test]
    public void Should_lead_with_the_best_ranked_passage_when_its_best_sentence_is_close_to_the_best()
    {
        var quotes = QuoteSelector.Select(Question, Passages, similarities: [0.7f, 0.9f]);

        Assert.That(quotes[0].PassageIndex, Is.Zero);
    }

    [Test]
    public void Should_lead_with_the_better_sentence_when_the_best_ranked_passage_has_nothing_close()
    {
        var quotes = QuoteSelector.Select(Question, Passages, similarities: [0.3f, 0.9f]);

        Assert.That(quotes[0].PassageIndex, Is.EqualTo(1));
    }
}

[TestFixture]
public sealed class When_the_second_best_sentence_is_on_the_page_already_quoted
{
    private const string Question = "keep just certain entries searchable";

    // The first page's two good sentences are not adjacent; the other page's sentence is a little less similar.
    private static readonly SearchPassage[] Passages =
    [
        new(1, 10, "indexes-partial.html", "Partial Indexes", null,
            "A partial index is built over a subset of a table. Unrelated filler sits here. The subset is defined by a conditional expression.", 0.03),
        new(2, 20, "sql-createindex.html", "CREATE INDEX", "Parameters", "The WHERE clause gives the predicate of a partial index.", 0.02),
    ];

    [Test]
    public void Should_quote_the_other_page_before_a_second_sentence_of_the_first()
    {
        var quotes = QuoteSelector.Select(Question, Passages, maxQuotes: 2, similarities: [0.9f, 0.1f, 0.8f, 0.75f]);

        Assert.That(quotes.Select(q => q.PassageIndex), Is.EquivalentTo(new[] { 0, 1 }));
    }
}
