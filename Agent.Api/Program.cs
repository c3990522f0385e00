using Agent.Api.Assistants;
using Agent.Api.Auth;
using Agent.Api.Crons;
using Agent.Api.Health;
using Agent.Api.Hosting;
using Agent.Api.Runs;
using Agent.Api.Threads;

var builder = WebApplication.CreateBuilder(args);
builder.AddAgentApi();

var app = builder.Build();
app.UseHttpLogging();
app.UseAgentErrorHandling();
app.UseAgentAuthentication();
app.MapSystemApi();
app.MapAssistantsApi();
app.MapThreadsApi();
app.MapRunsApi();
app.MapCronsApi();
await app.RunAsync();

/// <summary>The API's entry point; public so tests can host it.</summary>
public partial class Program;
