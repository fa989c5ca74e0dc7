using Cordon.Notification;

namespace Cordon.Containment;

/// <summary>Assigns ethics and anti-bribery training to the site team through the vendor's contacts.</summary>
/// <remarks>
/// The mail has no idempotency key: an attempt is recorded with the evidence first, and a mail sent again (the step re-run
/// after a crash, or the incident restarted by an operator after its workflow failed) says so.
/// </remarks>
public sealed class AssignTraining(IEmailSender email, IOptions<WorldOptions> world, Cordon.Roster.SiteRoster? roster = null,
    Cordon.Evidence.IEvidenceStore? evidence = null, TimeProvider? time = null) : TaskActivity<TrainingRequest, int>
{
    [Function(nameof(AssignTraining))]
    public Task<int> Run([ActivityTrigger] TrainingRequest request) => RunAsync(ActivityContexts.For(nameof(AssignTraining)), request);

    /// <summary>The evidence items recording the attempts at the training mail (<see cref="MailAttempt"/>).</summary>
    internal const string AttemptStem = "training-attempt";

    /// <summary>The evidence item recording the first attempt at the training mail.</summary>
    internal const string AttemptItem = AttemptStem + ".json";

    public override async Task<int> RunAsync(TaskActivityContext context, TrainingRequest request)
    {
        var site = world.Value.World.FindSite(request.SiteId);
        int agents = roster is not null ? await roster.CountAsync(request.SiteId, CancellationToken.None) : site?.Site.AgentCount ?? 0;
        if (request.VendorContacts.Count > 0)
        {
            Task<bool> Send(bool sentAgain) => SendAsync(request, site?.Site.Name ?? request.SiteId, agents, sentAgain);
            _ = evidence is not null
                ? await MailAttempt.SendAsync(evidence, time ?? TimeProvider.System, request.IncidentId, AttemptStem, "cordon/AssignTraining", "training assignment", Send)
                : await Send(false);
        }

        return agents;
    }

    async Task<bool> SendAsync(TrainingRequest request, string siteName, int agents, bool sentAgain)
    {
        string title = $"Mandatory ethics and anti-bribery training for site {siteName}" + (sentAgain ? " (sent again)" : "");
        var (html, text) = MailLayout.Render(title,
            $"Following a confirmed insider incident ({request.IncidentId}) at your site, every agent of the site must complete the ethics and anti-bribery training within 14 days." +
            (sentAgain ? MailAttempt.SentAgainNote : ""),
            [("Site", siteName), ("Agents", agents.ToString(System.Globalization.CultureInfo.InvariantCulture))], [],
            "Reply to this message with the completion report.");
        await email.SendAsync(new EmailMessage(request.VendorContacts, title, html, text, "training",
            new Dictionary<string, string> { ["incidentId"] = request.IncidentId, ["kind"] = "training" }), CancellationToken.None);
        return sentAgain;
    }
}
