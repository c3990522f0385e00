using System.Diagnostics;
using Agent.Worker.Embeddings;
using Agent.Worker.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Hosting;

/// <summary>
/// Implements the worker's one-shot commands.
/// </summary>
internal static class WorkerCommands
{
    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (Progress posts to the pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    /// <summary>The manual's location in Debian's <c>postgresql-doc-15</c> package.</summary>
    public const string DefaultCorpusPath = "/usr/share/doc/postgresql-doc-15/html";

    /// <summary>Ingests the corpus at <paramref name="path"/> (<c>--path</c>, default <see cref="DefaultCorpusPath"/>); ingesting again changes nothing.</summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="path">The corpus directory.</param>
    /// <returns>The process exit code: 0 on success, 1 when the corpus directory is missing.</returns>
    public static async Task<int> IngestAsync(HostApplicationBuilder builder, string path)
    {
        if (!Directory.Exists(path))
        {
            await Console.Error.WriteLineAsync(
                $"ingest: {path} does not exist. Install Debian's postgresql-doc-15 or pass --path DIR.");
            return 1;
        }

        builder.Services.AddCorpusIngestion();
        builder.Services.AddEmbeddings(builder.Configuration);
        using var host = builder.Build();
        var report = await host.Services.GetRequiredService<CorpusIngestor>().IngestAsync(path, CancellationToken.None);
        await Console.Out.WriteLineAsync(
            $"ingest: {report.FilesSeen} files, {report.Ingested} ingested, {report.Unchanged} unchanged, " +
            $"{report.ChunksWritten} chunks written in {report.ElapsedMs} ms.");

        if (host.Services.GetService<ChunkEmbedder>() is { } embedder)
        {
            var started = Stopwatch.GetTimestamp();
            var lastShown = 0L;
            var embedded = await embedder.EmbedMissingAsync(
                new SynchronousProgress<(int Done, int Total)>(p =>
                {
                    // A line every 2 seconds (and the last one): up.sh shows these while the ingest runs.
                    if (p.Done == p.Total || Stopwatch.GetElapsedTime(lastShown).TotalSeconds >= 2)
                    {
                        lastShown = Stopwatch.GetTimestamp();
                        Console.Out.WriteLine(
                            $"embedding: {p.Done}/{p.Total} chunk texts ({embedder.ModelId}, {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s)");
                    }
                }),
                CancellationToken.None);
            await Console.Out.WriteLineAsync(
                $"ingest: {embedded} chunk texts embedded with {embedder.ModelId} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms.");
        }

        return 0;
    }
}
