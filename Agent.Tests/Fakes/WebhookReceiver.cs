using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agent.Tests.Fakes;

/// <summary>
/// A webhook receiver for tests: Kestrel on <c>127.0.0.1</c> with an ephemeral port, recording every POST to
/// <c>/hook</c> (body and signature header) and answering with the queued status codes, then 200.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<int> statuses = new();
    private readonly ConcurrentQueue<(string Body, string? Signature)> received = new();
    private readonly SemaphoreSlim arrived = new(0);
    private TaskCompletionSource? stall;

    private WebhookReceiver(WebApplication app) => this.app = app;

    /// <summary>Gets the webhook URL, e.g. <c>http://127.0.0.1:41234/hook</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Gets the deliveries received so far.</summary>
    public IReadOnlyList<(string Body, string? Signature)> Received => [.. received];

    /// <summary>Starts a receiver.</summary>
    /// <returns>The receiver; dispose it to stop it.</returns>
    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            receiver.received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers["X-Agent-Signature"].FirstOrDefault()));
            receiver.arrived.Release();
            if (Volatile.Read(ref receiver.stall) is { } held)
            {
                // Recorded, but not answered until the test lets it (or the sender gives up). The gate is the test's own
                // TaskCompletionSource, completed by Release, not work from another context.
#pragma warning disable VSTHRD003
                await Task.WhenAny(held.Task, Task.Delay(Timeout.Infinite, context.RequestAborted));
#pragma warning restore VSTHRD003
            }
            return Results.StatusCode(receiver.statuses.TryDequeue(out var status) ? status : StatusCodes.Status200OK);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = new Uri(address.TrimEnd('/') + "/hook");
        return receiver;
    }

    /// <summary>Queues status codes for the next deliveries (e.g. 503 to make the sender retry).</summary>
    /// <param name="codes">The codes, in order.</param>
    public void AnswerNext(params int[] codes)
    {
        foreach (var code in codes)
        {
            statuses.Enqueue(code);
        }
    }

    /// <summary>Holds every delivery without an answer from now until <see cref="Release"/> (a receiver that hangs).</summary>
    public void Stall() => stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers the held deliveries and stops holding new ones.</summary>
    public void Release() => Interlocked.Exchange(ref stall, null)?.TrySetResult();

    /// <summary>Waits until at least <paramref name="count"/> deliveries have arrived.</summary>
    /// <param name="count">How many.</param>
    /// <param name="timeout">The deadline.</param>
    /// <returns>The deliveries.</returns>
    public async Task<IReadOnlyList<(string Body, string? Signature)>> WaitForAsync(int count, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (received.Count < count)
        {
            await arrived.WaitAsync(deadline.Token);
        }

        return Received;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        arrived.Dispose();
    }
}
