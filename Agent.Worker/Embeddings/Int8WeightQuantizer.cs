using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace Agent.Worker.Embeddings;

/// <summary>
/// Dynamic int8 quantization of an ONNX model's weights, done in process when the model loads: every
/// <c>MatMul</c> whose second input is a constant 2-D float matrix becomes ONNX Runtime's
/// <c>com.microsoft.DynamicQuantizeMatMul</c>, with the matrix stored as int8, one symmetric scale per output column
/// and zero points of 0. Activations are quantized per call by the operator itself (hence "dynamic").
/// </summary>
/// <remarks>
/// Why: on this project's 2-core machine, all-MiniLM-L6-v2 in float32 took 17.9 ms of CPU per manual section and the
/// int8 model 8.9 ms (ONNX Runtime 1.32, AVX-512 VNNI; 400 sections, load 0.6), with a mean cosine of 0.9935
/// between the two models' vectors (minimum 0.979). Full ingest of the manual needs that halving (BENCHMARKS.md,
/// "Retrieval"). The scheme is the one of ONNX Runtime's Python <c>quantize_dynamic</c> with
/// <c>per_channel=True</c> and <c>weight_type=QInt8</c>; the operator is specified in ONNX Runtime's
/// <c>docs/ContribOperators.md</c> (com.microsoft.DynamicQuantizeMatMul: B int8, b_scale scalar or 1-D of N).
/// Word embeddings (<c>Gather</c>) and the attention products (both inputs computed) stay float.
/// </remarks>
internal static class Int8WeightQuantizer
{
    /// <summary>
    /// Names this quantization scheme (per-column symmetric int8, DynamicQuantizeMatMul) in cached model files' names
    /// (<see cref="EmbeddingOptions.ModelCacheDirectory"/>): change it whenever the output for the same input changes.
    /// </summary>
    public const string Scheme = "q1";

    /// <summary>The operator domain of ONNX Runtime's contributed operators.</summary>
    private const string ContribDomain = "com.microsoft";

    /// <summary>Quantizes the constant MatMul weights of a serialized ONNX model.</summary>
    /// <param name="model">
    /// The serialized model (<c>ModelProto</c>), weights stored in it (not external data). Read as a stream so that
    /// the float model is held once (as parsed tensors), not also as one array of its 90 MB.
    /// </param>
    /// <param name="quantized">How many MatMul nodes were replaced (36 for all-MiniLM-L6-v2: six per layer).</param>
    /// <returns>The serialized model, quantized where a MatMul qualifies (else the same graph re-serialized).</returns>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not an ONNX model.</exception>
    public static byte[] Quantize(Stream model, out int quantized)
    {
        ArgumentNullException.ThrowIfNull(model);
        var proto = ModelProto.Parser.ParseFrom(model);
        quantized = QuantizeMatMuls(proto);
        return proto.ToByteArray();
    }

    /// <summary>
    /// Quantizes the constant MatMul weights of a serialized ONNX model and writes the result to a stream, so that the
    /// quantized model never exists as one array beside the parsed one (a file for ONNX Runtime to load).
    /// </summary>
    /// <param name="model">The serialized model, as for <see cref="Quantize(Stream, out int)"/>.</param>
    /// <param name="output">Where the serialized quantized model is written; left open.</param>
    /// <returns>How many MatMul nodes were replaced.</returns>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not an ONNX model.</exception>
    public static int Quantize(Stream model, Stream output)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(output);
        var proto = ModelProto.Parser.ParseFrom(model);
        var quantized = QuantizeMatMuls(proto);
        proto.WriteTo(output);
        return quantized;
    }

    private static int QuantizeMatMuls(ModelProto proto)
    {
        var graph = proto.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var quantized = 0;
        for (var i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (node.OpType != "MatMul" || node.Domain.Length != 0 || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight) || !IsFloatMatrix(weight))
            {
                continue;
            }

            var (values, scales) = QuantizeColumns(weight);
            var name = weight.Name + "_int8";
            if (!initializers.ContainsKey(name))
            {
                var rows = weight.Dims[0];
                var columns = weight.Dims[1];
                var int8 = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
                int8.Dims.Add([rows, columns]);
                var scale = new TensorProto { Name = name + "_scale", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan())) };
                scale.Dims.Add(columns);
                var zero = new TensorProto { Name = name + "_zero_point", DataType = (int)TensorProto.Types.DataType.Int8, RawData = ByteString.CopyFrom(new byte[columns]) };
                zero.Dims.Add(columns);
                graph.Initializer.Add([int8, scale, zero]);
                initializers[name] = int8;
            }

            var replacement = new NodeProto { Name = node.Name + "_int8", OpType = "DynamicQuantizeMatMul", Domain = ContribDomain };
            replacement.Input.Add([node.Input[0], name, name + "_scale", name + "_zero_point"]);
            replacement.Output.Add(node.Output);
            graph.Node[i] = replacement;
            quantized++;
        }

        if (quantized == 0)
        {
            return 0;
        }

        // The float matrices no node reads any more would otherwise stay in the session's memory.
        var read = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        var unread = graph.Initializer.Where(t => !read.Contains(t.Name)).ToList();
        foreach (var tensor in unread)
        {
            graph.Initializer.Remove(tensor);
        }

        if (!proto.OpsetImport.Any(o => o.Domain == ContribDomain))
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = ContribDomain, Version = 1 });
        }

        return quantized;
    }

    private static bool IsFloatMatrix(TensorProto tensor) =>
        tensor.DataType == (int)TensorProto.Types.DataType.Float && tensor.Dims.Count == 2 && tensor.ExternalData.Count == 0
        && (tensor.RawData.Length == tensor.Dims[0] * tensor.Dims[1] * sizeof(float) || tensor.FloatData.Count == tensor.Dims[0] * tensor.Dims[1]);

    /// <summary>Symmetric per-column int8: scale = max |w| of the column / 127, q = round(w / scale) in [-127, 127].</summary>
    private static (sbyte[] Values, float[] Scales) QuantizeColumns(TensorProto weight)
    {
        var rows = checked((int)weight.Dims[0]);
        var columns = checked((int)weight.Dims[1]);
        // ONNX raw data is little-endian, as is every platform .NET and ONNX Runtime run this model on.
        ReadOnlySpan<float> w = weight.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(weight.RawData.Span) : [.. weight.FloatData];
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
        {
            var row = w.Slice(r * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                scales[c] = MathF.Max(scales[c], MathF.Abs(row[c]));
            }
        }

        for (var c = 0; c < columns; c++)
        {
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        }

        var values = new sbyte[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                values[(r * columns) + c] = (sbyte)Math.Clamp(MathF.Round(w[(r * columns) + c] / scales[c]), -127f, 127f);
            }
        }

        return (values, scales);
    }
}
