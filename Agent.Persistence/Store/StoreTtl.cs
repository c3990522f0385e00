using System.Globalization;

namespace Agent.Persistence.Store;

/// <summary>
/// The rule of a store item's time to live (LangGraph's <c>ttl</c>): minutes, fractions allowed, greater than 0 and at
/// most <see cref="MaxMinutes"/>; null for an item that never expires.
/// </summary>
public static class StoreTtl
{
    /// <summary>The largest time to live, in minutes: 100 years (52,596,000).</summary>
    public const double MaxMinutes = 100 * 525_960;

    /// <summary>Checks a time to live.</summary>
    /// <param name="minutes">The time to live in minutes, or null for none.</param>
    /// <returns>A reason for a 422 (or an <see cref="ArgumentOutOfRangeException"/>), or null when it is valid.</returns>
    public static string? Check(double? minutes) =>
        minutes is { } ttl && ttl is not (> 0 and <= MaxMinutes)
            ? string.Create(CultureInfo.InvariantCulture, $"ttl must be a number of minutes greater than 0 and at most {MaxMinutes:0}, or null for no expiry.")
            : null;
}
