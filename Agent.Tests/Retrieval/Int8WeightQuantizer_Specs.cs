using System.Numerics.Tensors;
using Agent.Worker.Embeddings;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Agent.Tests.Retrieval;

[TestFixture]
public sealed class When_a_models_weights_are_quantized_to_int8
{
    private const int Rows = 8;
    private const int Columns = 5;

    private static readonly float[] Weights = [.. Enumerable.Range(0, Rows * Columns).Select(i => MathF.Sin(i * 0.7f) * (1 + (i % Columns)))];

    [Test]
    public void Should_replace_each_constant_matmul_with_a_dynamically_quantized_one()
    {
        var quantized = ModelProto.Parser.ParseFrom(Int8WeightQuantizer.Quantize(new MemoryStream(TinyModel()), out var count));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(count, Is.EqualTo(1));
            Assert.That(quantized.Graph.Node.Select(n => $"{n.Domain}:{n.OpType}"), Is.EqualTo(new[] { "com.microsoft:DynamicQuantizeMatMul", ":Relu" }));
            Assert.That(quantized.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float).Select(t => t.Name), Is.EqualTo(new[] { "w_int8_scale" }),
                "the float matrix is gone; only its scales are float");
            Assert.That(quantized.Graph.Initializer.Single(t => t.Name == "w_int8").RawData.Length, Is.EqualTo(Rows * Columns), "one byte per weight");
            Assert.That(quantized.OpsetImport.Select(o => o.Domain), Does.Contain("com.microsoft"));
        }
    }

    [Test]
    public void Should_compute_what_the_float_model_computes_within_a_quantization_step()
    {
        float[] input = [.. Enumerable.Range(0, 3 * Rows).Select(i => MathF.Cos(i * 1.3f) * 2)];
        var exact = Run(TinyModel(), input);
        var approximate = Run(Int8WeightQuantizer.Quantize(new MemoryStream(TinyModel()), out _), input);

        // Errors come from two roundings: weights per column (|w| max / 254) and activations per call (range / 510).
        var tolerance = 0.03f * TensorPrimitives.MaxMagnitude(exact);
        Assert.That(approximate.Zip(exact, (a, e) => MathF.Abs(a - e)).Max(), Is.LessThan(tolerance));
        Assert.That(approximate, Is.Not.EqualTo(exact), "int8 arithmetic, not the float product");
    }

    [Test]
    public async Task Should_keep_the_offline_embeddings_close_to_the_float_models()
    {
        string[] texts =
        [
            "TRUNCATE quickly removes all rows from a set of tables.",
            "How do I keep only the most recent row per customer?",
            "CREATE INDEX constructs an index on the specified column(s) of the specified relation.",
        ];
        using var floatModel = new MiniLmEmbeddingGenerator(new EmbeddingOptions { QuantizedWeights = false });
        using var int8Model = new MiniLmEmbeddingGenerator(new EmbeddingOptions());

        var expected = await floatModel.GenerateAsync(texts);
        var actual = await int8Model.GenerateAsync(texts);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(actual[0].ModelId, Is.EqualTo(MiniLmEmbeddingGenerator.Int8ModelId), "vectors of the two models are never mixed");
            for (var i = 0; i < texts.Length; i++)
            {
                Assert.That(TensorPrimitives.CosineSimilarity(expected[i].Vector.Span, actual[i].Vector.Span), Is.GreaterThan(0.97f), texts[i]);
            }
        }
    }

    /// <summary>y = relu(x · w): x [n, 8] float, w an [8, 5] float initializer.</summary>
    private static byte[] TinyModel()
    {
        var w = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Weights.AsSpan())) };
        w.Dims.Add([Rows, Columns]);
        var graph = new GraphProto { Name = "tiny" };
        graph.Initializer.Add(w);
        graph.Input.Add(Tensor("x", Rows));
        graph.Output.Add(Tensor("y", Columns));
        var matMul = new NodeProto { Name = "product", OpType = "MatMul" };
        matMul.Input.Add(["x", "w"]);
        matMul.Output.Add("xw");
        var relu = new NodeProto { Name = "relu", OpType = "Relu" };
        relu.Input.Add("xw");
        relu.Output.Add("y");
        graph.Node.Add([matMul, relu]);
        var model = new ModelProto { IrVersion = 7, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Tensor(string name, int columns)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add([new TensorShapeProto.Types.Dimension { DimParam = "n" }, new TensorShapeProto.Types.Dimension { DimValue = columns }]);
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static float[] Run(byte[] model, float[] input)
    {
        using var session = new InferenceSession(model);
        using var x = OrtValue.CreateTensorValueFromMemory(input, [input.Length / Rows, Rows]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [x], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
