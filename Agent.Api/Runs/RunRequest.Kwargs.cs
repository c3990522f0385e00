using System.Text.Json.Nodes;
using Agent.Persistence.Wire;

namespace Agent.Api.Runs;

/// <content>LangGraph's <c>kwargs</c> of a run: what was submitted, with the defaults applied, as stored on the run.</content>
internal sealed partial record RunRequest
{
    private static JsonObject BuildKwargs(RunCreate wire, RunRequest request)
    {
        var config = wire.Config?.DeepClone() as JsonObject ?? [];
        config["recursion_limit"] = request.RecursionLimit;
        var kwargs = new JsonObject
        {
            // No input (null or absent) is kept as null: the worker then continues the thread (e.g. past an interrupt).
            ["input"] = wire.Input is null ? null : new JsonObject { ["messages"] = request.InputMessages.DeepClone() },
            ["config"] = config,
            ["stream_mode"] = new JsonArray(request.StreamModes.Select(m => (JsonNode?)JsonValue.Create(WireName.Of(m))).ToArray()),
            ["on_disconnect"] = WireName.Of(wire.OnDisconnect ?? DisconnectMode.Continue),
            ["multitask_strategy"] = WireName.Of(request.MultitaskStrategy),
        };
        if (request.StreamSubgraphs)
        {
            kwargs["stream_subgraphs"] = true;
        }

        if (wire.Context is JsonObject context)
        {
            kwargs["context"] = context.DeepClone();
        }

        foreach (var (field, value) in request.InterruptKwargs)
        {
            kwargs[field] = value?.DeepClone();
        }

        if (request.CheckpointId is not null)
        {
            kwargs["checkpoint_id"] = request.CheckpointId.ToString();
        }

        if (request.StartDelay is not null)
        {
            kwargs["after_seconds"] = request.StartDelay.Value.TotalSeconds;
        }

        if (request.Webhook is not null)
        {
            kwargs["webhook"] = request.Webhook.ToString();
        }

        // Every run's events are kept, so every stream is resumable; the flag is recorded as submitted.
        kwargs["stream_resumable"] = wire.StreamResumable ?? false;
        return kwargs;
    }
}
