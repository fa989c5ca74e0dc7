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
    /// <summary>Sends the message and returns the provider's message id (the proof of sending).</summary>
    Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken);
}
