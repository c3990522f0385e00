using System.Reflection;
using System.Text.RegularExpressions;
using Agent.Persistence.Runs;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Runs;

/// <summary>
/// The run's state machine has one source, <see cref="RunStateMachine"/>: docs/architecture.md must draw exactly its
/// transitions, and each transition must be made by a method of <see cref="RunLifecycle"/>.
/// </summary>
[TestFixture]
public sealed partial class When_the_run_state_machine_is_drawn
{
    [Test]
    public void Should_match_the_diagram_in_the_architecture_docs()
    {
        var docs = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "docs", "architecture.md"));
        var diagram = RunStateDiagram().Match(docs);
        Assert.That(diagram.Success, Is.True, "docs/architecture.md has a ```mermaid stateDiagram-v2 block");
        Assert.That(
            diagram.Groups["body"].Value.ReplaceLineEndings("\n"),
            Is.EqualTo(RunStateMachine.ToMermaid()),
            "the diagram is RunStateMachine.ToMermaid(); paste its output into docs/architecture.md");
    }

    [Test]
    public void Should_name_a_lifecycle_method_for_every_transition()
    {
        var methods = typeof(RunLifecycle).GetMethods(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
        Assert.That(RunStateMachine.Transitions.Select(t => t.Method).Where(m => !methods.Contains(m)), Is.Empty);
    }

    [Test]
    public void Should_refuse_a_finish_into_a_status_that_is_not_terminal()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => RunStateMachine.Require(AgentRunStatus.Running, AgentRunStatus.Pending, RunStateMachine.Finish), Throws.ArgumentException);
            Assert.That(RunStateMachine.Allows(AgentRunStatus.Running, AgentRunStatus.Timeout, RunStateMachine.Finish), Is.True);
            Assert.That(RunStateMachine.To(RunStateMachine.Park), Is.EqualTo(AgentRunStatus.Pending));
        }
    }

    [GeneratedRegex(@"```mermaid\r?\n(?<body>stateDiagram-v2\r?\n(?:.*\r?\n)*?)```")]
    private static partial Regex RunStateDiagram();
}
