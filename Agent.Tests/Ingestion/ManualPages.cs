namespace Agent.Tests.Ingestion;

/// <summary>
/// Locates the real corpus: the PostgreSQL 15 manual from Debian's <c>postgresql-doc-15</c> package.
/// </summary>
internal static class ManualPages
{
    /// <summary>
    /// Gets the manual's HTML directory. From <c>AGENT_TEST_MANUAL</c>; default
    /// <c>/usr/share/doc/postgresql-doc-15/html</c>.
    /// </summary>
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("AGENT_TEST_MANUAL") ?? "/usr/share/doc/postgresql-doc-15/html";

    /// <summary>Gets the handful of pages the integration tests ingest: the index pages and a few unrelated ones.</summary>
    public static IReadOnlyList<string> Handful { get; } =
    [
        "sql-createindex.html", "textsearch-indexes.html", "textsearch-tables.html", "indexes-types.html", "gin.html",
        "gin-intro.html", "sql-select.html", "datatype-numeric.html", "tutorial-join.html", "mvcc-intro.html",
    ];

    /// <summary>Skips the calling test (Assert.Ignore) when the manual is not installed.</summary>
    public static void IgnoreIfMissing()
    {
        if (!System.IO.Directory.Exists(Directory) || !File.Exists(PathOf("sql-createindex.html")))
        {
            Assert.Ignore($"The PostgreSQL 15 manual is not installed at {Directory} (apt-get install postgresql-doc-15).");
        }
    }

    /// <summary>Gets the full path of a page.</summary>
    /// <param name="fileName">The page's file name, e.g. <c>sql-createindex.html</c>.</param>
    /// <returns>The path.</returns>
    public static string PathOf(string fileName) => Path.Combine(Directory, fileName);
}
