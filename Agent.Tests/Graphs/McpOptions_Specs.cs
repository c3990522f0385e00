using Agent.Worker.Tools.Mcp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Tests.Graphs;

[TestFixture]
public sealed class When_MCP_servers_are_configured
{
    [Test]
    public void Should_bind_a_stdio_and_an_HTTP_server_with_their_defaults()
    {
        var options = Resolve(new Dictionary<string, string?>
        {
            ["Mcp:Servers:files:Command"] = "dotnet",
            ["Mcp:Servers:files:Arguments:0"] = "McpFiles.dll",
            ["Mcp:Servers:files:Arguments:1"] = "--root",
            ["Mcp:Servers:files:WorkingDirectory"] = "/srv",
            ["Mcp:Servers:files:Environment:FILES_ROOT"] = "/data",
            ["Mcp:Servers:issues:Url"] = "https://mcp.example.com/mcp",
            ["Mcp:Servers:issues:Headers:Authorization"] = "Bearer x",
            ["Mcp:Servers:issues:CallTimeoutSeconds"] = "5",
        });

        var (files, issues) = (options.Servers["files"], options.Servers["issues"]);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(files.Command, Is.EqualTo("dotnet"));
            Assert.That(files.Arguments, Is.EqualTo(new[] { "McpFiles.dll", "--root" }));
            Assert.That(files.WorkingDirectory, Is.EqualTo("/srv"));
            Assert.That(files.Environment["FILES_ROOT"], Is.EqualTo("/data"));
            Assert.That(files.CallTimeoutSeconds, Is.EqualTo(30), "the default");
            Assert.That(issues.Url, Is.EqualTo("https://mcp.example.com/mcp"));
            Assert.That(issues.Headers["authorization"], Is.EqualTo("Bearer x"));
            Assert.That(issues.CallTimeoutSeconds, Is.EqualTo(5));
        }
    }

    [TestCase("Mcp:Servers:both:Command", "dotnet", "Mcp:Servers:both:Url", "http://localhost/mcp", "exactly one of Command")]
    [TestCase("Mcp:Servers:neither:WorkingDirectory", "/srv", "Mcp:Servers:neither:CallTimeoutSeconds", "5", "exactly one of Command")]
    [TestCase("Mcp:Servers:relative:Url", "/mcp", "Mcp:Servers:relative:CallTimeoutSeconds", "5", "absolute http or https URL")]
    [TestCase("Mcp:Servers:slow:Url", "http://localhost/mcp", "Mcp:Servers:slow:CallTimeoutSeconds", "0", "CallTimeoutSeconds")]
    [TestCase("Mcp:Servers:bad.name:Url", "http://localhost/mcp", "Mcp:Servers:bad.name:CallTimeoutSeconds", "5", "a server name is")]
    public void Should_refuse_an_entry_that_cannot_work_when_the_worker_starts(string key1, string value1, string key2, string value2, string problem)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { [key1] = value1, [key2] = value2 }));

        Assert.That(refused!.Message, Does.Contain(problem));
    }

    private static McpOptions Resolve(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddMcpToolServers(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<McpOptions>>().Value;
    }
}
