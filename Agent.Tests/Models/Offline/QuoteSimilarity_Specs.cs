using Agent.Tests.Collections;
using Agent.Worker.Embeddings;
using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_candidate_quotes_are_scored_by_embedding_similarity
{
    private const string Question = "empty a large table quickly";

    // Lengths differ, so the batches (shortest first, two at a time) do not follow the given order.
    private static readonly string[] Texts =
    [
        "Sorting and duplicate elimination are done automatically during input, as shown in this long example sentence.",
        "empty a large table quickly",
        "a table",
        "The column must be of tsvector type.",
        "Weights reflect document structure.",
    ];

    private float[] _similarities = null!;
    private WordHashEmbeddingGenerator _generator = null!;

    [OneTimeSetUp]
    public async Task ScoreAsync()
    {
        _generator = new WordHashEmbeddingGenerator();
        var similarity = new QuoteSimilarity(_generator, new EmbeddingOptions { BatchSize = 2 });
        _similarities = await similarity.ScoreAsync(Question, Texts, CancellationToken.None);
    }

    [OneTimeTearDown]
    public void Dispose() => _generator.Dispose();

    [Test]
    public async Task Should_return_each_texts_cosine_with_the_question_in_the_texts_order()
    {
        using var generator = new WordHashEmbeddingGenerator();
        var question = (await generator.GenerateAsync([Question]))[0].Vector;
        var expected = new List<float>();
        foreach (var text in Texts)
        {
            var vector = (await generator.GenerateAsync([text]))[0].Vector;
            expected.Add(VectorMath.Similarity(question.Span, vector.Span));
        }

        Assert.That(_similarities, Is.EqualTo(expected).Within(1e-6f));
    }

    [Test]
    public void Should_score_the_text_that_says_what_the_question_says_highest()
    {
        Assert.That(Array.IndexOf(_similarities, _similarities.Max()), Is.EqualTo(1));
    }

    [Test]
    public void Should_embed_the_question_once_and_each_text_once()
    {
        Assert.That(_generator.Embedded, Is.EqualTo(Texts.Length + 1));
    }

    [Test]
    public async Task Should_return_nothing_for_no_texts()
    {
        var similarity = new QuoteSimilarity(_generator, new EmbeddingOptions());

        Assert.That(await similarity.ScoreAsync(Question, [], CancellationToken.None), Is.Empty);
    }
}
