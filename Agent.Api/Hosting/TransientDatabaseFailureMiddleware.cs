using Agent.Persistence.Connections;

namespace Agent.Api.Hosting;

/// <summary>
/// Retries a request once when it failed on a transient database failure and could not have written anything: a
/// read (<c>GET</c>/<c>HEAD</c>), or any request before its first database command completed, which is how a broken
/// pooled connection fails after a PostgreSQL restart (the pool is cleared by then, so the retry gets a fresh one).
/// Anything else, or a second failure, reaches <see cref="ErrorHandlingExtensions"/>: 503 with <c>Retry-After</c>.
/// </summary>
/// <param name="next">The rest of the pipeline.</param>
/// <param name="logger">Logs each retry.</param>
internal sealed partial class TransientDatabaseFailureMiddleware(RequestDelegate next, ILogger<TransientDatabaseFailureMiddleware> logger)
{
    /// <summary>Runs the request, and once more after a retryable failure.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task completing with the response.</returns>
    public async Task InvokeAsync(HttpContext context)
    {
        // A retry reads the body again; bodies are small (ApiLimits), and only the first 30 KB stay in memory.
        context.Request.EnableBuffering();
        var activity = DatabaseActivity.Begin();
        try
        {
            await next(context);
        }
        catch (Exception error) when (TransientDatabaseFailure.IsTransient(error) && !context.Response.HasStarted
                                      && !context.RequestAborted.IsCancellationRequested
                                      && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                                          || activity.CompletedCommands == 0))
        {
            LogRetry(logger, context.Request.Method, context.Request.Path, error.GetType().Name, error.Message);
            context.Response.Clear();
            // A new stream instance, so the request's body pipe reader (completed by the first read) is created anew.
            var body = new MemoryStream();
            context.Request.Body.Position = 0;
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            body.Position = 0;
            context.Request.Body = body;
            DatabaseActivity.Begin();
            await next(context);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retrying {Method} {Path} after a transient database failure: {ErrorType}: {ErrorMessage}")]
    private static partial void LogRetry(ILogger logger, string method, string path, string errorType, string errorMessage);
}
