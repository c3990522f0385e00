using Agent.Persistence.Connections;

namespace Agent.Api.Hosting;

/// <summary>
/// Retries a request (once, or twice after broken pooled connections) when it failed on a transient database failure and could not have written anything: a
/// read (<c>GET</c>/<c>HEAD</c>), or any request before its first database command completed, which is how a broken
/// pooled connection fails after a PostgreSQL restart (the pool is cleared by then, so the retry gets a fresh one).
/// Anything else, or a failure past the retries, reaches <see cref="ErrorHandlingExtensions"/>: 503 with <c>Retry-After</c>.
/// </summary>
/// <param name="next">The rest of the pipeline.</param>
/// <param name="logger">Logs each retry.</param>
internal sealed partial class TransientDatabaseFailureMiddleware(RequestDelegate next, ILogger<TransientDatabaseFailureMiddleware> logger)
{
    // Concurrent requests can each have rented a dead pooled connection before the first failure cleared the pool,
    // and a retry can still meet one that was in use during the clear: a broken connection earns up to two retries,
    // any other transient failure one.
    private const int MaxAttempts = 3;

    /// <summary>Runs the request, and again after a retryable failure.</summary>
    /// <param name="context">The request.</param>
    /// <returns>A task completing with the response.</returns>
    public async Task InvokeAsync(HttpContext context)
    {
        // A retry reads the body again; bodies are small (ApiLimits), and only the first 30 KB stay in memory.
        context.Request.EnableBuffering();
        for (var attempt = 1; ; attempt++)
        {
            var activity = DatabaseActivity.Begin();
            try
            {
                await next(context);
                return;
            }
            catch (Exception error) when (attempt < MaxAttempts && IsRetryable(context, activity, error, attempt))
            {
                LogRetry(logger, context.Request.Method, context.Request.Path, error.GetType().Name, error.Message);
                context.Response.Clear();
                // A new stream instance, so the request's body pipe reader (completed by the first read) is created anew.
                var body = new MemoryStream();
                context.Request.Body.Position = 0;
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                body.Position = 0;
                context.Request.Body = body;
            }
        }
    }

    private static bool IsRetryable(HttpContext context, DatabaseActivity activity, Exception error, int attempt) =>
        TransientDatabaseFailure.IsTransient(error) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested
        && (attempt == 1 || TransientDatabaseFailure.IsBrokenConnection(error))
        && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || activity.CompletedCommands == 0);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retrying {Method} {Path} after a transient database failure: {ErrorType}: {ErrorMessage}")]
    private static partial void LogRetry(ILogger logger, string method, string path, string errorType, string errorMessage);
}
