using Quartz;

namespace Agent.Persistence.Crons;

/// <summary>
/// Reads a LangGraph cron schedule, a Unix five-field cron expression (<c>minute hour day-of-month month day-of-week</c>,
/// e.g. <c>27 15 * * *</c>; day-of-week 0-7 with 0 and 7 Sunday), in an IANA time zone, and computes its ticks with
/// Quartz's <see cref="CronExpression"/> (<see cref="CronFormat.Unix"/>; both day fields restricted means either).
/// </summary>
public sealed class CronSchedule
{
    private readonly CronExpression expression;

    private CronSchedule(CronExpression expression) => this.expression = expression;

    /// <summary>Parses a schedule.</summary>
    /// <param name="schedule">The five-field expression (or a macro such as <c>@daily</c>).</param>
    /// <param name="timezone">An IANA time zone id, e.g. <c>Europe/Paris</c>; null means UTC.</param>
    /// <returns>The schedule, or an error naming what is wrong (for a 422).</returns>
    public static (CronSchedule? Schedule, string? Error) Parse(string schedule, string? timezone)
    {
        TimeZoneInfo zone;
        try
        {
            zone = timezone is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(timezone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return (null, $"timezone '{timezone}' is not a known IANA time zone.");
        }

        if (!CronExpression.TryParse(schedule, CronFormat.Unix, out var expression) || expression is null)
        {
            return (null, $"schedule '{schedule}' is not a five-field cron expression (minute hour day-of-month month day-of-week), " +
                          "e.g. '27 15 * * *'.");
        }

        return (new CronSchedule(expression.WithTimeZone(zone)), null);
    }

    /// <summary>Gets the first tick strictly after <paramref name="after"/>, or null when there is none before <paramref name="endTime"/>.</summary>
    /// <param name="after">The instant to look after.</param>
    /// <param name="endTime">When the cron stops, or null.</param>
    /// <returns>The next tick (UTC), or null.</returns>
    public DateTimeOffset? NextAfter(DateTimeOffset after, DateTimeOffset? endTime)
    {
        var next = expression.GetNextValidTimeAfter(after);
        return next is null || (endTime is not null && next > endTime) ? null : next.Value.ToUniversalTime();
    }
}
