using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_the_question_is_reduced_to_content_words
{
    [Test]
    public void Should_drop_stop_words_and_stem_the_rest()
    {
        Assert.That(TermAnalyzer.ContentTerms(ManualPassages.Question), Is.EqualTo(new[] { "creat", "gin", "index", "tsvector", "column" }));
    }

    [TestCase("indexes", "index")]
    [TestCase("indexed", "index")]
    [TestCase("indexing", "index")]
    [TestCase("creates", "creat")]
    [TestCase("created", "creat")]
    [TestCase("creating", "creat")]
    [TestCase("queries", "query")]
    [TestCase("searches", "search")]
    [TestCase("columns", "column")]
    [TestCase("running", "run")]
    [TestCase("status", "status")]
    [TestCase("class", "class")]
    [TestCase("gin", "gin")]
    public void Should_stem_variants_of_a_word_to_one_stem(string word, string stem)
    {
        Assert.That(TermAnalyzer.Stem(word), Is.EqualTo(stem));
    }

    [Test]
    public void Should_weigh_words_inside_identifiers_less_than_whole_words()
    {
        var terms = TermAnalyzer.WeightedTerms("USING GIN (to_tsvector('english', body)) on a tsvector_ops column");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(terms["tsvector"], Is.EqualTo(TermAnalyzer.IdentifierPartWeight));
            Assert.That(terms["gin"], Is.EqualTo(1.0));
            Assert.That(terms.ContainsKey("using"), Is.False);
        }
    }
}
