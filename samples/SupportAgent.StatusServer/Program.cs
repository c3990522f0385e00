using SupportAgent.StatusServer;

// An MCP server (streamable HTTP at /mcp) with one tool, service_status. Start it with
// `dotnet run --project samples/SupportAgent.StatusServer -- --urls http://127.0.0.1:5190`.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddMcpServer().WithHttpTransport().WithTools<StatusTools>();
var app = builder.Build();
app.MapMcp("/mcp");
await app.RunAsync();
