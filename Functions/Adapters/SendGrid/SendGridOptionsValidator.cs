using System.Net.Mail;

namespace Cordon.Adapters.SendGrid;

/// <summary>Checks <see cref="SendGridOptions"/> at start-up; every message names the setting to fix.</summary>
public sealed class SendGridOptionsValidator : IValidateOptions<SendGridOptions>
{
    const string Prefix = SendGridOptions.SectionName + ":";

    public ValidateOptionsResult Validate(string? name, SendGridOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.SendGridApiKey))
        {
            failures.Add($"{Prefix}SendGridApiKey is missing: set the SendGrid API key (app setting Cordon__Email__SendGridApiKey; in Azure a Key Vault reference).");
        }
        else if (options.SendGridApiKey.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{Prefix}SendGridApiKey is an unresolved Key Vault reference: check the secret URI and that the Function App's managed identity may read secrets of that vault.");
        }
        else if (options.SendGridApiKey.Any(char.IsWhiteSpace))
        {
            failures.Add($"{Prefix}SendGridApiKey contains whitespace: paste the key alone.");
        }

        if (string.IsNullOrWhiteSpace(options.From))
        {
            failures.Add($"{Prefix}From is missing: set the sender address (app setting Cordon__Email__From), a verified sender in SendGrid.");
        }
        else if (!MailAddress.TryCreate(options.From, out MailAddress? from) || from.Address != options.From.Trim() || !string.IsNullOrEmpty(from.DisplayName))
        {
            failures.Add($"{Prefix}From '{options.From}' is not a bare e-mail address (put the display name in {Prefix}FromName).");
        }

        if (!string.IsNullOrWhiteSpace(options.Host)
            && (!Uri.TryCreate(options.Host, UriKind.Absolute, out Uri? host) || (host.Scheme != Uri.UriSchemeHttps && host.Scheme != Uri.UriSchemeHttp)))
        {
            failures.Add($"{Prefix}Host '{options.Host}' is not an absolute http(s) URL.");
        }

        if (options.MaxAttempts is < 1 or > 10)
        {
            failures.Add($"{Prefix}MaxAttempts must be between 1 and 10 (was {options.MaxAttempts}).");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.MaxRetryDelay < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}RetryBaseDelay and {Prefix}MaxRetryDelay must not be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
