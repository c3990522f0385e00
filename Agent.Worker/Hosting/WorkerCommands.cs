using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Hosting;

/// <summary>
/// Implements the worker's one-shot commands.
/// </summary>
internal static class WorkerCommands
{
    /// <summary>The manual's location in Debian's <c>postgresql-doc-15</c> package.</summary>
    public const string DefaultCorpusPath = "/usr/share/doc/postgresql-doc-15/html";

    /// <summary>Ingests the corpus at <c>--path</c> (default <see cref="DefaultCorpusPath"/>).</summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="args">The command line.</param>
    /// <returns>The process exit code: 0 on success, 1 when the corpus is missing.</returns>
    public static async Task<int> IngestAsync(HostApplicationBuilder builder, string[] args)
    {
        _ = builder;
        _ = args;
        await Console.Error.WriteLineAsync("ingest: not wired yet");
        return 1;
    }
}
