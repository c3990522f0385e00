namespace Agent.Worker.Runs;

/// <summary>
/// The graphs this worker can run, by <c>graph_id</c>: what the step loop asks for a run's graph. Implemented by the
/// graph model (Agent.Worker.Graphs), which sits above the loop; this interface keeps the loop from depending on it.
/// </summary>
internal interface IRunGraphs
{
    /// <summary>The names of the registered graphs, in ordinal order (for the <c>UnknownGraph</c> error).</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Finds a graph.</summary>
    /// <param name="graphId">The run's assistant's <c>graph_id</c>.</param>
    /// <returns>The graph ready to run, or null when this worker has none of that name.</returns>
    IRunGraph? Find(string graphId);
}
