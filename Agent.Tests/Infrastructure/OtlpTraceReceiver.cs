using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agent.Tests.Infrastructure;

/// <summary>One span as an OTLP receiver got it.</summary>
/// <param name="Service">The resource's <c>service.name</c>.</param>
/// <param name="Scope">The instrumentation scope (activity source) name.</param>
/// <param name="TraceId">The trace id, lowercase hex.</param>
/// <param name="SpanId">The span id, lowercase hex.</param>
/// <param name="ParentSpanId">The parent span id, or empty for a root.</param>
/// <param name="Name">The span name.</param>
/// <param name="Kind">The OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</param>
/// <param name="Attributes">The attributes: string, bool, long, double, or a list of those.</param>
/// <param name="StatusCode">The OTLP status code: 0 unset, 1 ok, 2 error.</param>
internal sealed record ReceivedSpan(
    string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind,
    IReadOnlyDictionary<string, object?> Attributes, int StatusCode)
{
    /// <summary>Gets an attribute, or null.</summary>
    /// <param name="key">The attribute key.</param>
    /// <returns>The value.</returns>
    public object? this[string key] => Attributes.TryGetValue(key, out var value) ? value : null;
}

/// <summary>
/// A small OTLP/HTTP receiver for tests: Kestrel on a loopback port, accepting <c>POST /v1/traces</c> (binary
/// protobuf <c>ExportTraceServiceRequest</c>, decoded by hand: the OTLP exporter ships no protobuf library) and
/// acknowledging <c>/v1/metrics</c> and <c>/v1/logs</c> without reading them. Decoding follows
/// opentelemetry-proto <c>collector/trace/v1/trace_service.proto</c>, <c>trace/v1/trace.proto</c> and
/// <c>common/v1/common.proto</c> on the protobuf wire format (varints, fixed64, length-delimited fields).
/// </summary>
internal sealed class OtlpTraceReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly List<ReceivedSpan> spans = [];

    private OtlpTraceReceiver(WebApplication app) => this.app = app;

    /// <summary>Gets the base address to configure as the OTLP HTTP endpoint, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets the spans received so far (a snapshot).</summary>
    public IReadOnlyList<ReceivedSpan> Spans
    {
        get
        {
            lock (gate)
            {
                return [.. spans];
            }
        }
    }

    /// <summary>Starts a receiver on an ephemeral loopback port.</summary>
    /// <returns>The receiver; dispose it to stop it.</returns>
    public static async Task<OtlpTraceReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new OtlpTraceReceiver(app);
        app.MapPost("/v1/traces", receiver.ReceiveTracesAsync);
        app.MapPost("/v1/metrics", () => Results.Bytes([], "application/x-protobuf"));
        app.MapPost("/v1/logs", () => Results.Bytes([], "application/x-protobuf"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Endpoint = new Uri(address);
        return receiver;
    }

    /// <summary>Polls until <paramref name="condition"/> holds over the spans of one trace, or the deadline passes.</summary>
    /// <param name="traceId">The trace id (hex).</param>
    /// <param name="condition">What the trace's spans must satisfy.</param>
    /// <param name="timeout">The deadline.</param>
    /// <returns>The trace's spans when the condition held (or at the deadline, for the test's report).</returns>
    public async Task<IReadOnlyList<ReceivedSpan>> WaitForTraceAsync(string traceId, Func<IReadOnlyList<ReceivedSpan>, bool> condition, TimeSpan timeout) =>
        await Poll.UntilAsync(() => Task.FromResult(Spans.Where(s => s.TraceId == traceId).ToList()), condition, timeout);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task<IResult> ReceiveTracesAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        var decoded = new List<ReceivedSpan>();
        foreach (var resourceSpans in Fields(buffer.ToArray(), 1))
        {
            var service = string.Empty;
            foreach (var resource in Fields(resourceSpans, 1))
            {
                service = Attributes(resource, 1).GetValueOrDefault("service.name") as string ?? string.Empty;
            }

            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).Select(s => Text(Fields(s, 1).FirstOrDefault())).FirstOrDefault() ?? string.Empty;
                foreach (var span in Fields(scopeSpans, 2))
                {
                    decoded.Add(new ReceivedSpan(
                        service,
                        scope,
                        Convert.ToHexStringLower(Fields(span, 1).First()),
                        Convert.ToHexStringLower(Fields(span, 2).First()),
                        Convert.ToHexStringLower(Fields(span, 4).FirstOrDefault() ?? []),
                        Text(Fields(span, 5).FirstOrDefault()),
                        (int)Varints(span, 6).FirstOrDefault(),
                        Attributes(span, 9),
                        Fields(span, 15).Select(status => (int)Varints(status, 3).FirstOrDefault()).FirstOrDefault()));
                }
            }
        }

        lock (gate)
        {
            spans.AddRange(decoded);
        }

        return Results.Bytes([], "application/x-protobuf");
    }

    private static Dictionary<string, object?> Attributes(byte[] message, int field)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var keyValue in Fields(message, field))
        {
            var key = Text(Fields(keyValue, 1).FirstOrDefault());
            attributes[key] = Fields(keyValue, 2).Select(Value).FirstOrDefault();
        }

        return attributes;
    }

    // AnyValue: oneof string_value = 1, bool_value = 2, int_value = 3, double_value = 4, array_value = 5.
    private static object? Value(byte[] anyValue)
    {
        foreach (var (number, wireType, payload, scalar) in Read(anyValue))
        {
            switch (number)
            {
                case 1:
                    return Encoding.UTF8.GetString(payload);
                case 2:
                    return scalar != 0;
                case 3:
                    return (long)scalar;
                case 4:
                    return BitConverter.UInt64BitsToDouble(scalar);
                case 5:
                    return Fields(payload, 1).Select(Value).ToList();
                default:
                    _ = wireType;
                    break;
            }
        }

        return null;
    }

    private static string Text(byte[]? payload) => payload is null ? string.Empty : Encoding.UTF8.GetString(payload);

    private static IEnumerable<byte[]> Fields(byte[] message, int field) =>
        Read(message).Where(f => f.Number == field && f.WireType == 2).Select(f => f.Payload);

    private static IEnumerable<ulong> Varints(byte[] message, int field) =>
        Read(message).Where(f => f.Number == field && f.WireType == 0).Select(f => f.Scalar);

    /// <summary>Reads the top-level fields of a protobuf message: number, wire type, and payload or scalar.</summary>
    private static List<(int Number, int WireType, byte[] Payload, ulong Scalar)> Read(byte[] message)
    {
        var fields = new List<(int, int, byte[], ulong)>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = ReadVarint(message, ref position);
            var number = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    fields.Add((number, wireType, [], ReadVarint(message, ref position)));
                    break;
                case 1:
                    fields.Add((number, wireType, [], BitConverter.ToUInt64(message, position)));
                    position += 8;
                    break;
                case 2:
                    var length = (int)ReadVarint(message, ref position);
                    fields.Add((number, wireType, message[position..(position + length)], 0));
                    position += length;
                    break;
                case 5:
                    fields.Add((number, wireType, [], BitConverter.ToUInt32(message, position)));
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wireType} at byte {position}.");
            }
        }

        return fields;
    }

    private static ulong ReadVarint(byte[] buffer, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buffer[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}
