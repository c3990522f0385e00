using Agent.Worker.Graphs;
using Agent.Worker.Hosting;
using SupportAgent;

// The sample's worker host: Agent.Worker's command line with the "support" graph and the plan_quota tool added. The
// built-in "agent" graph stays registered, so this worker serves both. The MCP server (service_status) is named in
// configuration (Mcp__Servers__status__Url, samples/README.md); the graph searches the collection skiff-docs.
return await AgentWorkerApplication.RunAsync(args, builder =>
{
    builder.Services.AddAgentTool(PlanQuotaTool.Create);
    builder.AddAgentGraph(SupportGraph.Name, SupportGraph.Declare);
});
