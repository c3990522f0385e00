using System.Diagnostics;
using Agent.Persistence.Documents;
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

    /// <summary>The most file names printed per kind of change (added, updated, removed, unreadable): 20.</summary>
    public const int MaxListedFiles = 20;

    /// <summary>
    /// Ingests the directory <paramref name="path"/> (<c>--path</c>, default <see cref="DefaultCorpusPath"/>) into the
    /// collection <paramref name="collection"/> (<c>--collection</c>, default <c>postgresql-15</c>), then embeds the
    /// new chunk texts, printing which files were added, updated and removed; ingesting again changes nothing.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="collection">The collection name.</param>
    /// <param name="path">The directory.</param>
    /// <returns>The process exit code: 0 on success, 1 when the directory is missing or the collection name is not valid.</returns>
    public static async Task<int> IngestAsync(HostApplicationBuilder builder, string collection, string path)
    {
        if (DocumentCollectionName.Check(collection) is { } invalid)
        {
            await Console.Error.WriteLineAsync($"ingest: {invalid}");
            return 1;
        }

        if (!Directory.Exists(path))
        {
            await Console.Error.WriteLineAsync(path == DefaultCorpusPath
                ? $"ingest: {path} does not exist. Install Debian's postgresql-doc-15 or pass --path DIR."
                : $"ingest: {path} does not exist.");
            return 1;
        }

        builder.Services.AddCorpusIngestion();
        builder.Services.AddEmbeddings(builder.Configuration);
        using var host = builder.Build();
        var report = await host.Services.GetRequiredService<CorpusIngestor>().IngestAsync(collection, path, CancellationToken.None);
        await Console.Out.WriteLineAsync(
            $"ingest: collection {report.Collection}: {report.FilesSeen} files, {report.Added.Count} added, {report.Updated.Count} updated, " +
            $"{report.Removed.Count} removed, {report.Unchanged} unchanged, {report.ChunksWritten} chunks written in {report.ElapsedMs} ms.");
        await ListAsync("added", report.Added);
        await ListAsync("updated", report.Updated);
        await ListAsync("removed", report.Removed);
        await ListAsync("unreadable", [.. report.Failed.Select(f => $"{f.Source} ({f.Reason})")]);

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

    private static async Task ListAsync(string change, IReadOnlyList<string> sources)
    {
        foreach (var source in sources.Take(MaxListedFiles))
        {
            await Console.Out.WriteLineAsync($"ingest: {change} {source}");
        }

        if (sources.Count > MaxListedFiles)
        {
            await Console.Out.WriteLineAsync($"ingest: ... and {sources.Count - MaxListedFiles} more {change}");
        }
    }
}
