using Agent.Api.Assistants;
using Agent.Api.Auth;
using Agent.Api.Crons;
using Agent.Api.Health;
using Agent.Api.Hosting;
using Agent.Api.Monitoring;
using Agent.Api.Runs;
using Agent.Api.Store;
using Agent.Api.Threads;
using Agent.Api.Usage;
using Agent.Api.WebConsole;
using Agent.Telemetry.Health;
using Agent.Telemetry.Logging;
using Agent.Telemetry.Metrics;

var builder = WebApplication.CreateBuilder(args);
builder.AddAgentApi();

var app = builder.Build();
app.UseAgentRequestLogging(ApiCaller.Tenant);
app.UseAgentErrorHandling();
app.UseRouting();
app.UseAgentSecurity();
app.MapSystemApi();
app.MapAgentHealthChecks(deep: false);
app.MapAgentMetrics();
app.MapAssistantsApi();
app.MapThreadsApi();
app.MapRunsApi();
app.MapCronsApi();
app.MapStoreApi();
app.MapUsageApi();
app.MapApiKeysApi();
app.MapMonitoringApi();
app.MapWebConsole();
await app.RunAsync();

/// <summary>The API's entry point; public so tests can host it.</summary>
public partial class Program;
