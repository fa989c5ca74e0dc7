namespace Cordon.Adapters.SendGrid;

/// <summary>
/// Settings of the SendGrid e-mail adapter, section <c>Cordon:Email</c>
/// (app settings <c>Cordon__Email__SendGridApiKey</c>, <c>Cordon__Email__From</c>, …).
/// </summary>
public sealed class SendGridOptions
{
    public const string SectionName = "Cordon:Email";

    /// <summary>The SendGrid API key (Mail Send permission). In Azure a Key Vault reference
    /// (<c>@Microsoft.KeyVault(SecretUri=…)</c>) resolved by the platform.</summary>
    public string? SendGridApiKey { get; set; }

    /// <summary>Sender address; must be a verified sender or on an authenticated domain in SendGrid.</summary>
    public string? From { get; set; }

    public string FromName { get; set; } = "Cordon";

    /// <summary>When true SendGrid validates the request but delivers nothing (mail_settings.sandbox_mode).</summary>
    public bool SandboxMode { get; set; }

    /// <summary>Optional API host override, e.g. <c>https://api.eu.sendgrid.com</c> for EU data residency,
    /// or a local recording server in tests. Default: the client's host (https://api.sendgrid.com).</summary>
    public string? Host { get; set; }

    /// <summary>Attempts per request (first try included) on 429, 5xx and transport failures.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>First back-off delay when the response carries no Retry-After; doubles on each retry.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest single wait. Exponential back-off is capped here; a Retry-After longer than this
    /// fails the send instead of holding the activity (the orchestration's retry policy takes over).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);
}
