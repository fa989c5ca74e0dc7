using Cordon.Notification;
using Microsoft.Extensions.Hosting;

namespace Cordon.Configuration;

/// <summary>
/// Looks for a new version of the world and the policy every <see cref="ConfigurationOptions.PollInterval"/>
/// (a conditional read, cheap when nothing changed). A valid version replaces the current one; an invalid one
/// is refused: every bad field is logged, the operators get one mail per refused version, /api/health reports
/// degraded, and the last good version stays in force. A mail the provider did not take (a 429 from SendGrid, which no
/// longer waits inside the sender) is tried again on later checks, after its Retry-After, until sent or superseded by a
/// newer version of the document.
/// </summary>
public sealed class ConfigurationWatcher(LiveConfiguration live, IOptions<ConfigurationOptions> options, IEmailSender email, ILogger<ConfigurationWatcher> logger)
    : BackgroundService
{
    readonly Dictionary<string, string?> versions = new()
    {
        [LiveConfiguration.WorldDocument] = live.Current.WorldVersion,
        [LiveConfiguration.PolicyDocument] = live.Current.PolicyVersion,
    };

    /// <summary>Tries at one refused version's mail before it is given up (logged).</summary>
    const int MaxNoticeTries = 20;

    /// <summary>Each document's refusal whose mail has not gone out yet: when to try again and how often it was tried.</summary>
    readonly Dictionary<string, (ConfigurationProblem Problem, DateTimeOffset NotBefore, int Tries)> unmailed = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Configuration {Version} from {World} and {Policy}; checked for changes every {Interval}",
            live.Current.Version, live.World.Origin, live.Policy.Origin, options.Value.PollInterval);
        using var timer = new PeriodicTimer(options.Value.PollInterval, live.Time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PollAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The last line: whatever one poll meets (a read that times out, a bug), the watcher goes on; if it
                // ended, the host would stop, or keep running on a configuration nobody watches any more.
                logger.LogError(ex, "Configuration check failed; the current version stays in force ({Current}) and the next check is in {Interval}",
                    live.Current.Version, options.Value.PollInterval);
            }
        }
    }

    /// <summary>One look at both documents; a failed read (storage unreachable) is logged and tried again next time.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        await PollAsync(LiveConfiguration.WorldDocument, live.World, cancellationToken);
        await PollAsync(LiveConfiguration.PolicyDocument, live.Policy, cancellationToken);
    }

    async Task PollAsync(string document, ConfigurationDocument source, CancellationToken cancellationToken)
    {
        if (unmailed.TryGetValue(document, out var pending) && live.Time.GetUtcNow() >= pending.NotBefore)
        {
            await TellOperatorsAsync(pending.Problem, pending.Tries, cancellationToken);
        }

        DocumentRead? read;
        try
        {
            read = await source.ReadIfChangedAsync(versions[document], cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning(ex, "Could not read the {Document} from {Origin}; the current version stays in force", document, source.Origin);
            return;
        }

        if (read is null)
        {
            return;
        }

        versions[document] = read.Version;
        unmailed.Remove(document); // a newer version: an older refusal's mail is out of date
        ConfigurationProblem? problem = live.Apply(document, read);
        if (problem is null)
        {
            logger.LogInformation("Configuration changed: {Document} {Version} from {Origin} is now in force ({Current})",
                document, read.Version, source.Origin, live.Current.Version);
            return;
        }

        logger.LogError("Configuration refused: {Document} {Version} from {Origin} is not valid, the last good version stays in force ({Current}): {Errors}",
            document, read.Version, source.Origin, live.Current.Version, string.Join("; ", problem.Errors));
        await TellOperatorsAsync(problem, 0, cancellationToken);
    }

    async Task TellOperatorsAsync(ConfigurationProblem problem, int triedBefore, CancellationToken cancellationToken)
    {
        unmailed.Remove(problem.Document);
        IReadOnlyList<string>? operators = live.Current.World.Operators;
        if (operators is not { Count: > 0 })
        {
            return;
        }

        string detail = $"A new version of the {problem.Document} ({problem.Version}, {problem.Origin}) was refused. " +
            $"The last good configuration stays in force ({live.Current.Version}); running incidents are not affected. Problems: " +
            string.Join("; ", problem.Errors);
        var (html, text) = MailLayout.Render($"Configuration refused: {problem.Document}", detail,
            [("Document", problem.Origin), ("Refused version", problem.Version), ("In force", live.Current.Version)], [],
            "Sent by Cordon to the operators on duty.");
        try
        {
            await email.SendAsync(new EmailMessage(operators, $"[Cordon] Configuration refused: {problem.Document} {problem.Version}", html, text,
                "operator-alert", new Dictionary<string, string> { ["kind"] = "configuration-refused", ["document"] = problem.Document }), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            int tries = triedBefore + 1;
            if (tries >= MaxNoticeTries)
            {
                logger.LogError(ex, "Could not mail the operators about the refused {Document} {Version} after {Tries} tries; giving up (the refusal stays on /api/health)",
                    problem.Document, problem.Version, tries);
                return;
            }

            TimeSpan wait = ex is MailThrottledException { RetryAfter: { } asked } && asked > TimeSpan.Zero ? asked : TimeSpan.Zero;
            unmailed[problem.Document] = (problem, live.Time.GetUtcNow() + wait, tries);
            logger.LogError(ex, "Could not mail the operators about the refused {Document} {Version}; trying again at a later check", problem.Document, problem.Version);
        }
    }
}
