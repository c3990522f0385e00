namespace Agent.Worker.Store;

/// <summary>
/// Carries the tenant of the run being executed along its async flow (the executor enters it once per run), so
/// <see cref="IAgentStore"/> acts for that tenant from any node or tool without being handed it.
/// </summary>
internal static class RunTenantScope
{
    private static readonly AsyncLocal<string?> Ambient = new();

    /// <summary>Gets the tenant of the run on this async flow, or null outside a run.</summary>
    public static string? Current => Ambient.Value;

    /// <summary>Sets the tenant for the rest of this async flow, until the result is disposed.</summary>
    /// <param name="tenantId">The run's tenant.</param>
    /// <returns>Restores the previous tenant.</returns>
    public static IDisposable Enter(string tenantId)
    {
        var previous = Ambient.Value;
        Ambient.Value = tenantId;
        return new Exit(previous);
    }

    private sealed class Exit(string? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
