using Microsoft.Azure.Functions.Worker.Middleware;

namespace Cordon.Alerts;

/// <summary>Functions middleware: an HTTP function that failed on the incident store answers 503 (<see cref="StoreUnavailable"/>).</summary>
public sealed class AnswerStoreUnavailable(ILogger<AnswerStoreUnavailable> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (context.GetHttpContext() is { } http && StoreUnavailable.Handles(http, ex))
        {
            if (!await StoreUnavailable.TryAnswerAsync(http, ex, logger, context.FunctionDefinition.Name))
            {
                throw;
            }
        }
    }
}
