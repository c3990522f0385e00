using Agent.Worker.Runs;
using Agent.Worker.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Agent.Worker.Graphs;

/// <summary>
/// Registers a deployer's graphs and tools with the worker: <c>AddAgentGraph("support", graph => ...)</c> and
/// <c>AddAgentTool(AIFunctionFactory.Create(method))</c>. A run executes the graph its assistant's <c>graph_id</c>
/// names; a run of a graph this worker does not have ends <c>error</c>.
/// </summary>
public static class AgentGraphServiceCollectionExtensions
{
    /// <summary>Declares and registers a graph.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The graph id; registering a name again replaces the earlier graph (e.g. the built-in <c>agent</c>).</param>
    /// <param name="declare">Declares the graph's channels, nodes and edges.</param>
    /// <returns>The services.</returns>
    /// <exception cref="InvalidOperationException">The declaration is inconsistent (see <see cref="AgentGraphBuilder"/>).</exception>
    public static IServiceCollection AddAgentGraph(this IServiceCollection services, string name, Action<AgentGraphBuilder> declare)
    {
        ArgumentNullException.ThrowIfNull(declare);
        var builder = new AgentGraphBuilder(name);
        declare(builder);
        services.AddSingleton(builder.Compile());
        services.TryAddScoped<AgentNodeServices>();
        services.TryAddScoped<IRunGraphs, RunGraphs>();
        return services;
    }

    /// <summary>Declares and registers a graph on a host builder's services.</summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="name">The graph id.</param>
    /// <param name="declare">Declares the graph.</param>
    /// <returns>The host builder.</returns>
    /// <exception cref="InvalidOperationException">The declaration is inconsistent.</exception>
    public static IHostApplicationBuilder AddAgentGraph(this IHostApplicationBuilder builder, string name, Action<AgentGraphBuilder> declare)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAgentGraph(name, declare);
        return builder;
    }

    /// <summary>
    /// Registers a tool the graphs' models can call: a Microsoft.Extensions.AI <see cref="AIFunction"/>, e.g.
    /// <c>AIFunctionFactory.Create(MyTools.Lookup)</c>, whose name, description and JSON schema the model sees.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="function">The function.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentTool(this IServiceCollection services, AIFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return services.AddAgentTool(_ => function);
    }

    /// <summary>Registers a tool built from the worker's services (e.g. a method of a service, via <see cref="AIFunctionFactory"/>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="create">Creates the function once, from the root service provider.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentTool(this IServiceCollection services, Func<IServiceProvider, AIFunction> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        services.AddSingleton<IAgentTool>(provider => new AIFunctionAgentTool(create(provider), provider));
        return services;
    }
}
