using System.Net.Mail;

namespace Cordon.Adapters.SendGrid;

/// <summary>
/// Settings of the SendGrid e-mail adapter, section <c>Cordon:Email</c>
/// (app settings <c>Cordon__Email__SendGridApiKey</c>, <c>Cordon__Email__From</c>, …).
/// </summary>
public sealed class SendGridOptions : ISelfValidatingOptions
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

    /// <summary>Longest Retry-After handed to the step (which waits it out on a durable timer, never in the sender):
    /// SendGrid's reset of a daily limit can be hours away, and the step then looks again after this long.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Problems with the settings, each naming the setting to fix; empty when usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();

        if (string.IsNullOrWhiteSpace(SendGridApiKey))
        {
            problems.Add($"{SectionName}:SendGridApiKey is missing: set the SendGrid API key (app setting Cordon__Email__SendGridApiKey; in Azure a Key Vault reference).");
        }
        else if (SendGridApiKey.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{SectionName}:SendGridApiKey is an unresolved Key Vault reference: check the secret URI and that the Function App's managed identity may read secrets of that vault.");
        }
        else if (SendGridApiKey.Any(char.IsWhiteSpace))
        {
            problems.Add($"{SectionName}:SendGridApiKey contains whitespace: paste the key alone.");
        }

        if (string.IsNullOrWhiteSpace(From))
        {
            problems.Add($"{SectionName}:From is missing: set the sender address (app setting Cordon__Email__From), a verified sender in SendGrid.");
        }
        else if (!MailAddress.TryCreate(From, out MailAddress? from) || from.Address != From.Trim() || !string.IsNullOrEmpty(from.DisplayName))
        {
            problems.Add($"{SectionName}:From '{From}' is not a bare e-mail address (put the display name in {SectionName}:FromName).");
        }

        if (!string.IsNullOrWhiteSpace(Host)
            && (!Uri.TryCreate(Host, UriKind.Absolute, out Uri? host) || (host.Scheme != Uri.UriSchemeHttps && host.Scheme != Uri.UriSchemeHttp)))
        {
            problems.Add($"{SectionName}:Host '{Host}' is not an absolute http(s) URL.");
        }

        if (MaxRetryDelay < TimeSpan.Zero)
        {
            problems.Add($"{SectionName}:MaxRetryDelay must not be negative.");
        }

        return problems;
    }
}
