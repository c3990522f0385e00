using Agent.Worker.Evaluation;

namespace Agent.Tests.Evaluation;

[TestFixture]
public sealed class When_an_answer_is_scored_against_the_pages_that_answer_its_question
{
    private static readonly EvalQuestion Question = new("sql", "What is the fastest way to empty a large table?", ["sql-truncate.html"], "quickly removes");

    private static EvalOutcome Outcome(string[] cited, string[] read) => new(Question, ["sql-delete.html"], cited, 1.0, read);

    [Test]
    public void Should_call_a_miss_whose_page_the_agent_read_a_selection_miss()
    {
        Assert.That(Outcome(["sql-delete.html"], ["sql-delete.html", "sql-truncate.html"]).MissKind, Is.EqualTo("selection"));
    }

    [Test]
    public void Should_call_a_miss_whose_page_the_agent_never_read_a_retrieval_miss()
    {
        Assert.That(Outcome(["sql-delete.html"], ["sql-delete.html", "populate.html"]).MissKind, Is.EqualTo("retrieval"));
    }

    [Test]
    public void Should_call_nothing_a_miss_when_the_answer_cites_an_answering_page_or_no_agent_ran()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Outcome(["sql-truncate.html"], ["sql-truncate.html"]).MissKind, Is.Empty);
            Assert.That(Outcome([], []).MissKind, Is.Empty);
        }
    }
}
