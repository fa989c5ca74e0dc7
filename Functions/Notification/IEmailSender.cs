namespace Cordon.Notification;

/// <summary>One e-mail: both bodies, the category and the ids that tie it to an incident and gate.</summary>
public sealed record EmailMessage(
    IReadOnlyList<string> To,
    string Subject,
    string Html,
    string Text,
    string Category,
    IReadOnlyDictionary<string, string> CustomArgs)
{
    /// <summary>The subject as the mail's title shows it (<see cref="MailLayout.Title"/>): one line, web addresses defanged.</summary>
    public string Subject { get; init; } = MailLayout.Title(Subject);
}

/// <summary>The e-mail port: SendGrid in Azure, the outbox locally.</summary>
public interface IEmailSender
{
    /// <summary>
    /// Sends the message and returns the provider's message id (the proof of sending). Throws
    /// <see cref="MailRefusedException"/> only when no copy can have been delivered.
    /// </summary>
    Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken);
}

/// <summary>
/// The provider answered that it did not take the mail, or was never reached: no copy can have been delivered, so the
/// next attempt is a first copy, not one sent again (<see cref="MailAttempt"/>). A failure that leaves delivery in
/// doubt (a time-out after the request left, a dropped connection, some recipients taken) is not this.
/// </summary>
public class MailRefusedException(string message, Exception? innerException = null) : InvalidOperationException(message, innerException);

/// <summary>
/// The provider asked Cordon to slow down (429, or 503) and did not take the mail. The sender never waits that out
/// inside the activity (a wait longer than the queue message's visibility let a second copy of the step run): the step
/// fails with this and the incident waits <see cref="RetryAfter"/> (none given: exponential back-off) on a durable
/// timer, as for a throttled directory call (<c>StepRetries</c>).
/// </summary>
public sealed class MailThrottledException(string message, TimeSpan? retryAfter, Exception? innerException = null)
    : MailRefusedException(Cordon.World.ThrottleWait.Describe(message, retryAfter), innerException)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
