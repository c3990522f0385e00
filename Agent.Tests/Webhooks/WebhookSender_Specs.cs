using System.Net;
using Agent.Persistence.Webhooks;
using Agent.Tests.Fakes;
using Agent.Worker.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Tests.Webhooks;

[TestFixture]
public sealed class When_a_webhook_is_delivered
{
    private WebhookReceiver receiver = null!;

    [SetUp]
    public async Task StartAsync() => receiver = await WebhookReceiver.StartAsync();

    [TearDown]
    public async Task StopAsync() => await receiver.DisposeAsync();

    [Test]
    public async Task Should_retry_a_5xx_with_backoff_and_sign_each_attempt()
    {
        receiver.AnswerNext(503, 500);
        using var services = Services(allowPrivate: true, secret: "s3cret");
        var sender = services.GetRequiredService<WebhookSender>();

        var (status, failure) = await sender.SendAsync(receiver.Url, """{"run_id":"r1"}""", CancellationToken.None);

        var deliveries = receiver.Received;
        var signature = deliveries[^1].Signature!;
        var timestamp = long.Parse(signature.Split(',')[0]["t=".Length..], System.Globalization.CultureInfo.InvariantCulture);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(200), failure);
            Assert.That(deliveries, Has.Count.EqualTo(3), "two failures, then success");
            Assert.That(deliveries.Select(d => d.Body).Distinct(), Is.EqualTo(new[] { """{"run_id":"r1"}""" }));
            Assert.That(signature, Is.EqualTo(WebhookSignature.Compute("s3cret", timestamp, """{"run_id":"r1"}""")));
        }
    }

    [Test]
    public async Task Should_refuse_to_connect_to_a_loopback_address_unless_allowed_and_not_retry()
    {
        using var services = Services(allowPrivate: false, secret: null);
        var sender = services.GetRequiredService<WebhookSender>();

        var (status, failure) = await sender.SendAsync(receiver.Url, "{}", CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.Null);
            Assert.That(failure, Does.Contain("private, loopback or link-local"));
            Assert.That(receiver.Received, Is.Empty);
        }
    }

    [TestCase("http://127.0.0.1:9/hook")]
    [TestCase("http://10.1.2.3/hook")]
    [TestCase("http://172.20.0.1/hook")]
    [TestCase("http://192.168.1.1/hook")]
    [TestCase("http://169.254.169.254/latest/meta-data")]
    [TestCase("http://[::1]/hook")]
    [TestCase("http://[fd00::1]/hook")]
    [TestCase("http://100.64.0.1/hook")]
    public async Task Should_refuse_a_private_or_loopback_target_when_a_run_is_created(string url)
    {
        var (uri, _) = WebhookAddresses.ParseUrl(url);

        var refused = await WebhookAddresses.CheckAsync(uri!, allowPrivateNetworks: false, CancellationToken.None);
        var allowed = await WebhookAddresses.CheckAsync(uri!, allowPrivateNetworks: true, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused, Does.Contain("Webhooks:AllowPrivateNetworks"));
            Assert.That(allowed, Is.Null);
        }
    }

    [Test]
    public async Task Should_accept_a_public_address_and_refuse_other_schemes()
    {
        var (publicUri, _) = WebhookAddresses.ParseUrl("https://93.184.216.34/hook");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await WebhookAddresses.CheckAsync(publicUri!, allowPrivateNetworks: false, CancellationToken.None), Is.Null);
            Assert.That(WebhookAddresses.ParseUrl("ftp://example.com/x").Error, Does.Contain("http(s)"));
            Assert.That(WebhookAddresses.ParseUrl("/webhooks/local").Error, Does.Contain("absolute"));
            Assert.That(WebhookAddresses.IsPublic(IPAddress.Parse("8.8.8.8")), Is.True);
        }
    }

    private static ServiceProvider Services(bool allowPrivate, string? secret) => new ServiceCollection()
        .AddLogging()
        .AddSingleton(Options.Create(new WebhookOptions { AllowPrivateNetworks = allowPrivate, SigningSecret = secret, MaxAttempts = 3, RetryBaseDelayMs = 10 }))
        .AddWebhookSender()
        .BuildServiceProvider();
}
