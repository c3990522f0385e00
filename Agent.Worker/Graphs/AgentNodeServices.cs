using Agent.Worker.Pricing;
using Agent.Worker.Runs;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Graphs;

/// <summary>
/// What a node's <see cref="AgentNodeContext"/> needs from the worker (scoped: one run per scope): the model and tool
/// port, prices for the budget projection, the in-step retries, the token stream's publisher and the clock.
/// </summary>
/// <param name="Agent">The model call and tool runner.</param>
/// <param name="Prices">Prices the budget projection.</param>
/// <param name="Retries">The per-call time limits and in-step retries.</param>
/// <param name="Publisher">Publishes the token stream.</param>
/// <param name="TimeProvider">The clock.</param>
/// <param name="Services">The run's scope, handed to nodes.</param>
/// <param name="Logger">The logger.</param>
internal sealed record AgentNodeServices(
    RetrievalAgent Agent, ModelPriceTable Prices, StepRetries Retries, IPublishEndpoint Publisher, TimeProvider TimeProvider,
    IServiceProvider Services, ILogger<AgentNodeServices> Logger);
