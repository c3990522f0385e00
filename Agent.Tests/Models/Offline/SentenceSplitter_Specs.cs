using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_a_passage_with_code_on_its_own_lines_is_split
{
    [Test]
    public void Should_keep_each_statement_whole_and_split_prose_into_sentences()
    {
        var units = SentenceSplitter.Split(ManualPassages.TextSearchIndexes.Text);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(units, Does.Contain(new TextUnit(ManualPassages.GinLine, IsCode: true)));
            Assert.That(units, Does.Contain(new TextUnit("To create such an index, do one of:", IsCode: false)));
            Assert.That(units, Does.Contain(new TextUnit("The column must be of tsvector type.", IsCode: false)));
            Assert.That(units, Does.Contain(new TextUnit(
                "CREATE INDEX name ON table USING GIST (column [ { DEFAULT | tsvector_ops } (siglen = number) ] );", IsCode: true)));
        }
    }

    [Test]
    public void Should_keep_a_multi_line_statement_as_one_unit()
    {
        var units = SentenceSplitter.Split("""
            Now we are ready to perform a fast full text search:

            SELECT title
            FROM pgweb
            WHERE textsearchable_index_col @@ to_tsquery('create & table')
            ORDER BY last_mod_date DESC
            LIMIT 10;

            One advantage of the separate-column approach is speed.
            """);

        Assert.That(units, Is.EqualTo(new[]
        {
            new TextUnit("Now we are ready to perform a fast full text search:", false),
            new TextUnit(
                "SELECT title\nFROM pgweb\nWHERE textsearchable_index_col @@ to_tsquery('create & table')\nORDER BY last_mod_date DESC\nLIMIT 10;",
                true),
            new TextUnit("One advantage of the separate-column approach is speed.", false),
        }));
    }
}

[TestFixture]
public sealed class When_a_passage_arrives_as_one_line
{
    [Test]
    public void Should_cut_an_inline_statement_out_of_the_prose_at_its_colon_and_semicolon()
    {
        var units = SentenceSplitter.Split(
            "To create such an index, do one of: CREATE INDEX name ON table USING GIN (column); Creates a GIN "
            + "(Generalized Inverted Index)-based index. The column must be of tsvector type.");

        Assert.That(units, Is.EqualTo(new[]
        {
            new TextUnit("To create such an index, do one of:", false),
            new TextUnit(ManualPassages.GinLine, true),
            new TextUnit("Creates a GIN (Generalized Inverted Index)-based index.", false),
            new TextUnit("The column must be of tsvector type.", false),
        }));
    }
}

[TestFixture]
public sealed class When_prose_looks_like_code_or_has_abbreviations
{
    [Test]
    public void Should_treat_a_sentence_starting_with_a_command_name_as_prose()
    {
        var units = SentenceSplitter.Split(
            "CREATE INDEX constructs an index on the specified column(s) of the specified relation, which can be a table "
            + "or a materialized view. Indexes are primarily used to enhance database performance.");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(units, Has.Count.EqualTo(2));
            Assert.That(units.Select(u => u.IsCode), Has.All.False);
        }
    }

    [Test]
    public void Should_not_split_after_e_g_or_inside_parentheses()
    {
        var units = SentenceSplitter.Split(
            "Queries must be phrased to match, e.g., WHERE x. Use a GIN index (see Section 12.9. It is faster.) for this. Done.");

        Assert.That(units.Select(u => u.Text), Is.EqualTo(new[]
        {
            "Queries must be phrased to match, e.g., WHERE x.",
            "Use a GIN index (see Section 12.9. It is faster.) for this.",
            "Done.",
        }));
    }
}
