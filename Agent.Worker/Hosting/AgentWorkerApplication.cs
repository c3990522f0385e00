using System.CommandLine;
using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Hosting;

/// <summary>
/// The worker as a library: the entry point of a deployer's own worker host. A project that references Agent.Worker
/// declares its graphs, tools and options in the callback of <see cref="RunAsync"/> and gets the whole worker command line
/// (<c>run</c>, <c>migrate</c>, <c>ingest</c>, <c>keys</c>, <c>eval</c>) with them; Agent.Worker's own
/// <c>Program.cs</c> is this call without a callback. docs/agents.md shows a host from an empty folder.
/// </summary>
/// <example>
/// <code>
/// return await AgentWorkerApplication.RunAsync(args, builder =>
/// {
///     builder.Services.AddAgentTool(AIFunctionFactory.Create(Plans.Quota, "plan_quota"));
///     builder.AddAgentGraph("support", SupportGraph.Declare);
/// });
/// </code>
/// </example>
public static class AgentWorkerApplication
{
    /// <summary>Parses the command line and runs the command (default <c>run</c>: execute runs until stopped).</summary>
    /// <param name="args">The process's arguments; they are also the host's command-line configuration.</param>
    /// <param name="configure">
    /// Adds the deployer's graphs, tools and settings to every command's host. It runs after the worker's basics
    /// (database, options) and before the run execution, so its tools are traced like the built-in ones and a graph it
    /// names <c>agent</c> replaces the built-in retrieval agent. Null adds nothing.
    /// </param>
    /// <returns>The process exit code: 0 on success, non-zero when a command fails (each command documents its codes).</returns>
    public static Task<int> RunAsync(string[] args, Action<IHostApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        // ProcessTerminationTimeout null: the generic host handles SIGTERM itself (the worker drains and hands runs back).
        return WorkerCommandLine.Create(args, configure ?? (_ => { }))
            .Parse(args)
            .InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
