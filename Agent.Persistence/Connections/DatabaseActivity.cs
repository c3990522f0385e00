namespace Agent.Persistence.Connections;

/// <summary>
/// Counts the database commands that completed in one logical operation (an HTTP request): while none has, nothing
/// was written, so the operation can be retried whole after a transient failure. Flows with the async context.
/// </summary>
public sealed class DatabaseActivity
{
    private static readonly AsyncLocal<DatabaseActivity?> CurrentActivity = new();
    private int completed;

    /// <summary>Gets the activity of the current operation, or null outside one.</summary>
    public static DatabaseActivity? Current => CurrentActivity.Value;

    /// <summary>Gets how many commands completed so far.</summary>
    public int CompletedCommands => Volatile.Read(ref completed);

    /// <summary>Starts counting for the current async context and what it calls.</summary>
    /// <returns>The activity.</returns>
    public static DatabaseActivity Begin() => CurrentActivity.Value = new DatabaseActivity();

    /// <summary>Records one completed command.</summary>
    internal void OnCommandCompleted() => Interlocked.Increment(ref completed);
}
