using Agent.Persistence.Crons;

namespace Agent.Tests.Crons;

[TestFixture]
public sealed class When_a_cron_schedule_is_read
{
    private static readonly DateTimeOffset Sunday = new(2026, 1, 4, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Should_compute_the_next_tick_in_the_schedules_time_zone()
    {
        var (schedule, error) = CronSchedule.Parse("0 9 * * 1", "Europe/Paris");

        Assert.That(error, Is.Null);
        // Monday 09:00 in Paris is 08:00 UTC in January.
        Assert.That(schedule!.NextAfter(Sunday, endTime: null), Is.EqualTo(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Should_read_weekday_zero_and_seven_as_sunday_and_stop_at_the_end_time()
    {
        var (sundays, _) = CronSchedule.Parse("30 6 * * 0", null);
        var (sevens, _) = CronSchedule.Parse("30 6 * * 7", null);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sundays!.NextAfter(Sunday, null), Is.EqualTo(new DateTimeOffset(2026, 1, 11, 6, 30, 0, TimeSpan.Zero)));
            Assert.That(sevens!.NextAfter(Sunday, null), Is.EqualTo(sundays.NextAfter(Sunday, null)));
            Assert.That(sundays.NextAfter(Sunday, endTime: Sunday.AddDays(3)), Is.Null, "no tick before the end time");
        }
    }

    [TestCase("* * * *", null, "five-field")]
    [TestCase("61 * * * *", null, "five-field")]
    [TestCase("* * * * *", "Mars/Olympus", "not a known IANA time zone")]
    public void Should_refuse_a_bad_schedule_or_time_zone_with_a_reason(string schedule, string? timezone, string reason)
    {
        var (parsed, error) = CronSchedule.Parse(schedule, timezone);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parsed, Is.Null);
            Assert.That(error, Does.Contain(reason));
        }
    }
}
