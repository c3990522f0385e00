using Agent.Worker.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Hosting;

/// <summary>
/// Implements the worker's one-shot commands.
/// </summary>
internal static class WorkerCommands
{
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
        using var host = builder.Build();
        var report = await host.Services.GetRequiredService<CorpusIngestor>().IngestAsync(path, CancellationToken.None);
        await Console.Out.WriteLineAsync(
            $"ingest: {report.FilesSeen} files, {report.Ingested} ingested, {report.Unchanged} unchanged, " +
            $"{report.ChunksWritten} chunks written in {report.ElapsedMs} ms.");
        return 0;
    }
}
