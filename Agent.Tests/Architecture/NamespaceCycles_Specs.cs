using System.Reflection;
using Agent.Api.Runs;
using Agent.Persistence;
using Agent.Worker.Runs;

namespace Agent.Tests.Architecture;

/// <summary>
/// The feature namespaces of Agent.Persistence, Agent.Api and Agent.Worker depend on each other in one direction only
/// (issue 16: the cycles Persistence Runs ↔ Checkpoints/RunEvents/Usage, Api Runs ↔ Threads and Worker Runs ↔
/// Telemetry ↔ Models (later Graphs ↔ Runs ↔ Agent) are gone and must not come back). Read from the compiled code (<see cref="NamespaceDependencies"/>), so a fully qualified name cannot hide
/// a dependency that a <c>using</c> would show. The root namespace of each project, its composition root, is left out.
/// </summary>
[TestFixture]
public sealed class When_the_namespaces_are_read_from_the_compiled_code
{
    private static IEnumerable<TestCaseData> Assemblies()
    {
        yield return new TestCaseData(typeof(AgentDbContext).Assembly, "Agent.Persistence").SetArgDisplayNames("Agent.Persistence");
        yield return new TestCaseData(typeof(RunsApi).Assembly, "Agent.Api").SetArgDisplayNames("Agent.Api");
        yield return new TestCaseData(typeof(RunSweeper).Assembly, "Agent.Worker").SetArgDisplayNames("Agent.Worker");
    }

    [TestCaseSource(nameof(Assemblies))]
    public void Should_have_no_cycle_between_feature_namespaces(Assembly assembly, string root)
    {
        var edges = NamespaceDependencies.Edges(assembly, root);
        var cycles = NamespaceDependencies.Cycles(edges.Keys);
        var described = cycles.Select(cycle => string.Join("; ", edges
            .Where(e => cycle.Contains(e.Key.From) && cycle.Contains(e.Key.To))
            .Select(e => $"{e.Key.From} → {e.Key.To} ({e.Value})")
            .Order(StringComparer.Ordinal)));
        Assert.That(described, Is.Empty, "namespaces that depend on each other");
    }

    [Test]
    public void Should_see_a_dependency_made_only_inside_a_method_body()
    {
        // The check itself: RunLifecycle reaches the threads table only in method bodies (compiled LINQ and SQL).
        var edges = NamespaceDependencies.Edges(typeof(AgentDbContext).Assembly, "Agent.Persistence");
        Assert.That(edges.Keys, Does.Contain(("Agent.Persistence.Runs", "Agent.Persistence.Threads")));
    }
}
