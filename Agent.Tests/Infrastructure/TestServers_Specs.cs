namespace Agent.Tests.Infrastructure;

[TestFixture]
public sealed class When_the_test_servers_are_decided
{
    [Test]
    public void Should_use_the_server_named_by_the_environment_without_asking_docker()
    {
        var asked = false;

        var source = TestServers.Choose("Host=db.internal;Username=ci", () => asked = true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(source, Is.EqualTo(TestServerSource.Environment));
            Assert.That(asked, Is.False, "a named server means CI: Docker is never tried");
        }
    }

    [Test]
    public void Should_start_a_container_when_nothing_is_named_and_docker_answers()
    {
        Assert.That(TestServers.Choose(null, () => true), Is.EqualTo(TestServerSource.Container));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("  ")]
    public void Should_fall_back_to_localhost_when_nothing_is_named_and_docker_does_not_answer(string? named)
    {
        Assert.That(TestServers.Choose(named, () => false), Is.EqualTo(TestServerSource.Localhost));
    }

    [Test]
    public void Should_have_decided_both_servers_before_any_test_ran()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(TestEnvironment.PostgresServer, Is.Not.Empty);
            Assert.That(TestEnvironment.RabbitMqUri, Does.StartWith("amqp://"));
        }
    }
}
