using Agent.Persistence.RateLimits;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Models.Resilience;

[TestFixture]
[Category("Integration")]
public sealed class When_workers_share_a_provider_rate_limit
{
    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => database = await TestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabaseAsync() => await database.DisposeAsync();

    [Test]
    public async Task Should_admit_one_request_per_emission_interval_whichever_store_asks()
    {
        // Two stores stand for two worker processes: they share nothing but the database row.
        var first = new ProviderRateLimitStore(database.DataSource);
        var second = new ProviderRateLimitStore(database.DataSource);
        var rule = new RateLimitRule("fake:one-per-minute", RequestsPerMinute: 1, TokensPerMinute: null);

        var admitted = await first.TryAcquireAsync(rule, tokens: 10, CancellationToken.None);
        var refused = await second.TryAcquireAsync(rule, tokens: 10, CancellationToken.None);
        var preflight = await second.TimeUntilAvailableAsync(rule, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(admitted, Is.EqualTo(TimeSpan.Zero));
            Assert.That(refused, Is.GreaterThan(TimeSpan.FromSeconds(50)).And.LessThanOrEqualTo(TimeSpan.FromSeconds(60)));
            Assert.That(preflight, Is.GreaterThan(TimeSpan.FromSeconds(50)));
        }
    }

    [Test]
    public async Task Should_refuse_tokens_beyond_a_minutes_worth_and_charge_what_a_call_used_beyond_its_estimate()
    {
        var store = new ProviderRateLimitStore(database.DataSource);
        var rule = new RateLimitRule("fake:tokens", RequestsPerMinute: null, TokensPerMinute: 1000);

        var first = await store.TryAcquireAsync(rule, tokens: 600, CancellationToken.None);
        var second = await store.TryAcquireAsync(rule, tokens: 300, CancellationToken.None);
        await store.ChargeTokensAsync(rule, extraTokens: 200, CancellationToken.None);
        var third = await store.TryAcquireAsync(rule, tokens: 300, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Is.EqualTo(TimeSpan.Zero));
            Assert.That(second, Is.EqualTo(TimeSpan.Zero), "900 of 1,000 tokens fit in the minute");
            Assert.That(third, Is.GreaterThan(TimeSpan.FromSeconds(20)), "600 + 300 + 200 charged leave no room for 300 more");
        }
    }
}
