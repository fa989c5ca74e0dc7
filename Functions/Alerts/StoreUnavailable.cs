using Microsoft.AspNetCore.Mvc;

namespace Cordon.Alerts;

/// <summary>
/// The answer when the incident store (the Durable Task backend, or the storage behind it) does not answer: 503 with
/// Retry-After, never an unhandled 500. For an alert it means "not acknowledged, send again" — a producer or Service Bus
/// retries; for an operator's page, "try again in a moment". Cordon's own bugs are not matched and stay 500s.
/// </summary>
public static class StoreUnavailable
{
    public const int RetryAfterSeconds = 5;

    /// <summary>Whether <paramref name="ex"/> (or what it wraps) says the backend or its storage failed, not the request.</summary>
    public static bool Matches(Exception ex) => ex switch
    {
        // Unknown is the sidecar's "exception was thrown by handler": its storage call failed or timed out. ResourceExhausted
        // (a message over the size limit) and Internal are deterministic: retrying cannot help, they stay 500s to alarm on.
        Grpc.Core.RpcException rpc => rpc.StatusCode is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.Unknown
            or Grpc.Core.StatusCode.DeadlineExceeded or Grpc.Core.StatusCode.Aborted,
        Azure.RequestFailedException storage => storage.Status is 0 or >= 500,
        TimeoutException or HttpRequestException => true,
        AggregateException many => many.InnerExceptions.Any(Matches),
        _ => ex.InnerException is { } inner && Matches(inner),
    };

    public static ObjectResult Answer(HttpResponse response)
    {
        response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Incident store unavailable",
            $"The incident store did not answer. Retry in {RetryAfterSeconds} s: an alert this request already placed is answered as a duplicate then, never acted on twice.", []);
    }

    /// <summary>Whether <see cref="TryAnswerAsync"/> may take the failure: a store failure, or a caller who went away.</summary>
    public static bool Handles(HttpContext http, Exception ex) => Matches(ex) || http.RequestAborted.IsCancellationRequested;

    /// <summary>
    /// Writes the 503 for a request that failed on the store (logged as a warning with <paramref name="what"/>). A request
    /// whose caller went away gets no answer at all (its cancellation is not a failure of Cordon). Returns false when the
    /// exception is neither, or the answer has begun: the caller rethrows.
    /// </summary>
    public static async Task<bool> TryAnswerAsync(HttpContext http, Exception ex, ILogger logger, string what)
    {
        if (http.RequestAborted.IsCancellationRequested)
        {
            return true;
        }

        if (!Matches(ex) || http.Response.HasStarted)
        {
            return false;
        }

        logger.LogWarning(ex, "{What}: the incident store did not answer; answered 503", what);
        ObjectResult result = Answer(http.Response);
        await result.ExecuteResultAsync(new ActionContext(http, new Microsoft.AspNetCore.Routing.RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));
        return true;
    }
}
