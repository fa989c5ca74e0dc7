using Cordon.Access;
using Cordon.Evidence;
using Cordon.Policy;

namespace Cordon.Incidents;

/// <summary>
/// When a failed activity step runs again, decided in the orchestration and waited out on a durable timer (never
/// inside the activity). A throttled directory call or mail send waits the service's Retry-After (exponential back-off
/// when it gives none) and does not spend the step's attempts, up to <see cref="MaxThrottledAttempts"/>; any other failure
/// follows the policy's retry (first wait, back-off coefficient, longest wait, attempts).
/// </summary>
public static class StepRetries
{
    /// <summary>Attempts a throttled step gets in all: a directory that throttles this long hands the step to an operator.</summary>
    public const int MaxThrottledAttempts = 30;

    static readonly TimeSpan LongestThrottleBackoff = TimeSpan.FromMinutes(1);

    /// <summary>The least a throttled step waits, whatever the service's Retry-After says.</summary>
    public static readonly TimeSpan ShortestThrottleWait = TimeSpan.FromSeconds(1);

    /// <summary>The wait before the next attempt, or null to give up (the step then waits for an operator).</summary>
    /// <param name="errorType">The failure's exception type (full name), as the engine reports it.</param>
    /// <param name="lastAttempt">Attempts made so far, 1 after the first failure.</param>
    public static TimeSpan? NextWait(string? errorType, string? errorMessage, int lastAttempt, StepRetryPolicy policy)
    {
        if (errorType == typeof(DirectoryThrottledException).FullName || errorType == typeof(Notification.MailThrottledException).FullName)
        {
            if (lastAttempt >= MaxThrottledAttempts)
            {
                return null;
            }

            // A Retry-After of 0, or a date already past (clocks differ), still waits a second: taken at its word, a service
            // that keeps answering so had the step's throttled attempts spent back to back, one episode each.
            return World.ThrottleWait.In(errorMessage) is { } retryAfter
                ? (retryAfter < ShortestThrottleWait ? ShortestThrottleWait : retryAfter)
                : TimeSpan.FromSeconds(Math.Min(LongestThrottleBackoff.TotalSeconds, Math.Pow(2, Math.Min(lastAttempt - 1, 16))));
        }

        if (errorType == typeof(Containment.ContainmentUnderwayException).FullName)
        {
            // Intake is containing (a second or two; longer in a burst): 1 s, 2 s, then every 4 s, so a busy intake costs
            // the step one or two looks, not a dozen. Intake's lease ends the wait, so this never needs an operator.
            return TimeSpan.FromSeconds(Math.Min(4, Math.Pow(2, Math.Min(lastAttempt - 1, 2))));
        }

        if (lastAttempt >= policy.MaxAttempts)
        {
            return null;
        }

        double seconds = policy.FirstRetry.TotalSeconds * Math.Pow(policy.BackoffCoefficient, lastAttempt - 1);
        return TimeSpan.FromSeconds(Math.Min(seconds, policy.MaxRetryInterval.TotalSeconds));
    }
}
