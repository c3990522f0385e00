using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Agent.Worker.Embeddings;

/// <summary>
/// Embeds every chunk text that has no vector yet for the configured model, keyed by the chunk's
/// <c>text_hash</c>: a chunk is embedded once, a re-ingest embeds only new or changed sections, and a model change
/// embeds everything again under the new model's id.
/// </summary>
/// <remarks>
/// Texts are sent in batches of similar length (the model pads a batch to its longest text) and written with one
/// <c>INSERT … SELECT unnest</c> per batch, so an ingest stopped half way keeps what it embedded. The text is the
/// page title, the heading and the start of the content (<see cref="EmbeddingOptions.MaxInputChars"/>).
/// </remarks>
/// <param name="dataSource">The agent database.</param>
/// <param name="generator">The embedding model.</param>
/// <param name="options">Batch size.</param>
/// <param name="logger">Logs progress.</param>
internal sealed partial class ChunkEmbedder(
    NpgsqlDataSource dataSource,
    IEmbeddingGenerator<string, Embedding<float>> generator,
    EmbeddingOptions options,
    ILogger<ChunkEmbedder> logger)
{
    // One row per distinct text still without a vector of this model; the title comes from any chunk with the text.
    private const string MissingSql = """
        SELECT DISTINCT ON (c.text_hash) c.text_hash, d.title, c.heading, left(c.content, @max_chars)
        FROM agent.chunks AS c
        JOIN agent.documents AS d ON d.document_id = c.document_id
        WHERE NOT EXISTS (SELECT 1 FROM agent.chunk_embeddings AS e WHERE e.model = @model AND e.text_hash = c.text_hash)
        ORDER BY c.text_hash, c.chunk_id
        """;

    // Npgsql has no jagged arrays: the batch's vectors travel as one flat real[] and are sliced by ordinality.
    private const string InsertSql = """
        INSERT INTO agent.chunk_embeddings (model, text_hash, embedding)
        SELECT @model, u.text_hash, @vectors[(u.i - 1) * @dims + 1 : u.i * @dims]
        FROM unnest(@hashes) WITH ORDINALITY AS u(text_hash, i)
        ON CONFLICT (model, text_hash) DO NOTHING
        """;

    // In the batch's own transaction: the collections holding these texts have new vectors, so workers' caches of
    // them reload (ChunkVectorIndex compares versions).
    private const string BumpVersionsSql = """
        UPDATE agent.document_collections SET version = version + 1, updated_at = now()
        WHERE name IN (SELECT d.collection FROM agent.chunks AS c JOIN agent.documents AS d ON d.document_id = c.document_id
                       WHERE c.text_hash = ANY(@hashes))
        """;

    private const string DeleteOrphansSql = """
        DELETE FROM agent.chunk_embeddings AS e
        WHERE e.model = @model AND NOT EXISTS (SELECT 1 FROM agent.chunks AS c WHERE c.text_hash = e.text_hash)
        """;

    /// <summary>Gets the id the vectors are stored under: the generator's model id.</summary>
    public string ModelId { get; } = EmbeddingModel.IdOf(generator);

    /// <summary>Embeds every chunk text without a vector, then deletes vectors no chunk has any more.</summary>
    /// <param name="progress">Told (embedded so far, total) after each batch.</param>
    /// <param name="cancellationToken">Stops after the current batch; committed batches stay.</param>
    /// <returns>How many texts were embedded.</returns>
    public async Task<int> EmbedMissingAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var missing = await LoadMissingAsync(cancellationToken);
        progress?.Report((0, missing.Count));

        // Similar lengths together; shortest first so progress starts moving at once.
        missing.Sort((a, b) => a.Text.Length.CompareTo(b.Text.Length));
        var done = 0;
        foreach (var batch in missing.Chunk(Math.Max(1, options.BatchSize)))
        {
            var embeddings = await generator.GenerateAsync(batch.Select(m => m.Text), cancellationToken: cancellationToken);
            await InsertAsync(batch, embeddings, cancellationToken);
            done += batch.Length;
            progress?.Report((done, missing.Count));
        }

        await using (var delete = dataSource.CreateCommand(DeleteOrphansSql))
        {
            delete.Parameters.Add(new NpgsqlParameter<string>("model", ModelId));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        LogEmbedded(done, ModelId, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return done;
    }

    private async Task<List<MissingText>> LoadMissingAsync(CancellationToken cancellationToken)
    {
        var missing = new List<MissingText>();
        await using var command = dataSource.CreateCommand(MissingSql);
        command.Parameters.Add(new NpgsqlParameter<string>("model", ModelId));
        command.Parameters.Add(new NpgsqlParameter<int>("max_chars", options.MaxInputChars));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            missing.Add(new MissingText(reader.GetString(0), EmbeddingModel.ChunkText(reader.GetString(1), reader.GetString(2), reader.GetString(3))));
        }

        return missing;
    }

    private async Task InsertAsync(MissingText[] batch, GeneratedEmbeddings<Embedding<float>> embeddings, CancellationToken cancellationToken)
    {
        if (embeddings.Count != batch.Length)
        {
            throw new InvalidOperationException($"The embedding model returned {embeddings.Count} vectors for {batch.Length} texts.");
        }

        var dims = embeddings[0].Vector.Length;
        var flat = new float[batch.Length * dims];
        for (var i = 0; i < embeddings.Count; i++)
        {
            embeddings[i].Vector.Span.CopyTo(flat.AsSpan(i * dims, dims));
        }

        var hashes = batch.Select(m => m.TextHash).ToArray();
        await using var batchCommand = dataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand(InsertSql);
        insert.Parameters.Add(new NpgsqlParameter<string>("model", ModelId));
        insert.Parameters.Add(new NpgsqlParameter<float[]>("vectors", flat));
        insert.Parameters.Add(new NpgsqlParameter<int>("dims", dims));
        insert.Parameters.Add(new NpgsqlParameter<string[]>("hashes", hashes));
        var bump = new NpgsqlBatchCommand(BumpVersionsSql);
        bump.Parameters.Add(new NpgsqlParameter<string[]>("hashes", hashes));
        batchCommand.BatchCommands.Add(insert);
        batchCommand.BatchCommands.Add(bump);
        // A batch without an explicit transaction runs as one implicit transaction: the vectors and the bump together.
        await batchCommand.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded {Count} chunk texts with {Model} in {ElapsedMs} ms")]
    private partial void LogEmbedded(int count, string model, long elapsedMs);

    private sealed record MissingText(string TextHash, string Text);
}
