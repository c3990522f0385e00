using Agent.Worker.Graphs;
using Agent.Worker.Hosting;
using SupportAgent;

// The sample's worker host: Agent.Worker's command line with the "support" graph, the "ticket" graph (with its
// subgraphs "research" and "lookup") and the plan_quota tool added. The built-in "agent" graph stays registered, so this
// worker serves them all. The MCP server (service_status) is named in
// configuration (Mcp__Servers__status__Url, samples/README.md); the graph searches the collection skiff-docs.
return await AgentWorkerApplication.RunAsync(args, builder =>
{
    builder.Services.AddAgentTool(PlanQuotaTool.Create);
    builder.AddAgentGraph(SupportGraph.Name, SupportGraph.Declare);
    builder.AddAgentGraph(TicketGraphs.Ticket, TicketGraphs.DeclareTicket);
    builder.AddAgentGraph(TicketGraphs.Research, TicketGraphs.DeclareResearch);
    builder.AddAgentGraph(TicketGraphs.Lookup, TicketGraphs.DeclareLookup);
});
