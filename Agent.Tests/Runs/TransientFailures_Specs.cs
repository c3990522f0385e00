using System.Net;
using System.Net.Sockets;
using Agent.Worker.Models.Resilience;
using Npgsql;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Agent.Tests.Runs;

[TestFixture]
public sealed class When_a_call_fails
{
    [TestCase(HttpStatusCode.RequestTimeout)]
    [TestCase(HttpStatusCode.Conflict)]
    [TestCase(HttpStatusCode.TooManyRequests)]
    [TestCase(HttpStatusCode.InternalServerError)]
    [TestCase(HttpStatusCode.BadGateway)]
    [TestCase(HttpStatusCode.ServiceUnavailable)]
    [TestCase(HttpStatusCode.GatewayTimeout)]
    public void Should_retry_a_status_that_may_succeed_later(HttpStatusCode status) =>
        Assert.That(TransientFailures.IsTransient(new HttpRequestException("x", null, status)), Is.True);

    [TestCase(HttpStatusCode.BadRequest)]
    [TestCase(HttpStatusCode.Unauthorized)]
    [TestCase(HttpStatusCode.Forbidden)]
    [TestCase(HttpStatusCode.NotFound)]
    [TestCase(HttpStatusCode.UnprocessableEntity)]
    public void Should_not_retry_a_status_that_will_fail_again(HttpStatusCode status) =>
        Assert.That(TransientFailures.IsTransient(new HttpRequestException("x", null, status)), Is.False);

    [Test]
    public void Should_retry_timeouts_and_broken_connections_however_deeply_wrapped()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientFailures.IsTransient(new TimeoutRejectedException()), Is.True);
            Assert.That(TransientFailures.IsTransient(new IOException("reset")), Is.True);
            Assert.That(TransientFailures.IsTransient(new HttpRequestException("refused", new SocketException())), Is.True);
            Assert.That(TransientFailures.IsTransient(new InvalidOperationException("wrapped", new IOException("eof"))), Is.True);
        }
    }

    [Test]
    public void Should_wait_out_an_open_circuit_for_as_long_as_it_stays_open()
    {
        var open = new BrokenCircuitException("open", TimeSpan.FromSeconds(25));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientFailures.IsTransient(open), Is.True);
            Assert.That(TransientFailures.RetryAfter(open, DateTimeOffset.UtcNow), Is.EqualTo(TimeSpan.FromSeconds(25)));
        }
    }

    [Test]
    public void Should_never_retry_a_cancellation_or_a_plain_bug()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientFailures.IsTransient(new OperationCanceledException()), Is.False);
            Assert.That(TransientFailures.IsTransient(new TaskCanceledException()), Is.False);
            Assert.That(TransientFailures.IsTransient(new ArgumentException("bad")), Is.False);
        }
    }

    [Test]
    public void Should_retry_a_prepared_statement_a_migration_made_stale_but_no_other_unsupported_feature()
    {
        // As PostgreSQL 15 reports them (plancache.c, and an unsupported feature from elsewhere).
        var stale = new PostgresException(
            "cached plan must not change result type", "ERROR", "ERROR", PostgresErrorCodes.FeatureNotSupported, routine: "RevalidateCachedQuery");
        var unsupported = new PostgresException(
            "FOR UPDATE cannot be applied to the nullable side of an outer join", "ERROR", "ERROR", PostgresErrorCodes.FeatureNotSupported,
            routine: "CheckSelectLocking");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientFailures.IsTransient(stale), Is.True);
            Assert.That(TransientFailures.IsTransient(new InvalidOperationException("wrapped", stale)), Is.True);
            Assert.That(TransientFailures.IsTransient(unsupported), Is.False);
        }
    }
}
