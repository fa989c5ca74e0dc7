using Cordon.Alerts;
using Cordon.Configuration;
using Cordon.Policy;

namespace Cordon.Incidents;

/// <summary>
/// Turns the alert and the response policy into a plan, and resolves from the world everything the
/// workflow will need (approvers, clients, vendor, site), so the orchestration itself does no I/O.
/// New incidents are triaged at intake (<see cref="Plan"/>, carried in <see cref="IncidentInput.Plan"/>), so their
/// first episode goes straight to containment; the activity stays for incidents started without a plan.
/// </summary>
public sealed class TriageAlert(LiveConfiguration configuration, Cordon.Roster.SiteRoster? roster = null) : TaskActivity<IncidentInput, ResponsePlan>
{
    [Function(nameof(TriageAlert))]
    public Task<ResponsePlan> Run([ActivityTrigger] IncidentInput input) => RunAsync(ActivityContexts.For(nameof(TriageAlert)), input);

    public override async Task<ResponsePlan> RunAsync(TaskActivityContext context, IncidentInput input)
    {
        ResponsePlan plan = Plan(input.Alert, configuration.Current);
        return roster is null ? plan : await WithRosterAsync(plan, input.Alert, roster, CancellationToken.None);
    }

    /// <summary>
    /// The plan with the site roster's word on it: the site's account count from the roster, and whether the subject
    /// is on it. Unchanged when the site names no directory group or its roster is not synced yet.
    /// </summary>
    public static async Task<ResponsePlan> WithRosterAsync(ResponsePlan plan, RiskAlert alert, Cordon.Roster.SiteRoster roster, CancellationToken cancellationToken)
    {
        Cordon.Roster.RosterCheck? check = await roster.CheckAsync(alert.Subject.SiteId, alert.Subject.UserPrincipalName, cancellationToken);
        return check is null ? plan : plan with { SiteAgentCount = check.Members, Roster = check };
    }

    /// <summary>The plan from one snapshot: world and policy of the same moment, and their versions recorded on the incident.</summary>
    public static ResponsePlan Plan(RiskAlert alert, ConfigurationSnapshot snapshot) =>
        Plan(alert, snapshot.Policy, snapshot.World, snapshot.Version);

    /// <summary>The plan for an alert: pure policy over the alert and the world.</summary>
    public static ResponsePlan Plan(RiskAlert alert, ResponsePolicy p, WorldModel w, string? version = null)
    {
        int rank = Severities.Rank(alert.Severity);

        var site = w.FindSite(alert.Subject.SiteId);
        // Clients named by the alert, else every client the subject's site serves.
        IEnumerable<string> clientIds = alert.ClientIds.Count > 0 ? alert.ClientIds : site?.Site.ClientIds ?? [];
        var clients = clientIds
            .Select(id => w.FindClient(id) is { } c
                ? new AffectedClient(c.Id, c.Name, c.SecurityContacts, c.Jurisdictions, c.ContractNoticeHours, c.NoticeWebhookUrl, c.SessionKillUrl, c.SessionLifetimeMinutes)
                : new AffectedClient(id, id, [], [], 0, null, null, 480))
            .ToList();

        var approvers = w.Approvers.ToDictionary(kv => kv.Key, kv => kv.Value);
        string? askFirst = ResponderNamed(alert.Subject.UserPrincipalName, w);
        return new ResponsePlan(
            p,
            AutoContain: askFirst is null && rank >= Severities.Rank(p.AutoContainAtOrAbove),
            RecordOnly: rank < Severities.Rank(p.RecordOnlyBelow),
            approvers,
            w.Operators,
            clients,
            site?.Vendor.Name ?? alert.Subject.VendorId,
            site?.Vendor.Contacts ?? [],
            site?.Site.Name ?? alert.Subject.SiteId,
            site?.Site.AgentCount ?? 0,
            version,
            AskFirstBecause: askFirst);
    }

    /// <summary>
    /// Why the subject is never contained without a human's confirmation: they are one of Cordon's own responders (an
    /// approver or an operator of the world). An alert producer is trusted with a key, not with the tenant: a forged or
    /// mistaken critical alert naming the security lead would otherwise disable the people who answer the incident
    /// (found by an attack). Their incident asks first; they never decide it (the gates skip the subject).
    /// </summary>
    static string? ResponderNamed(string subject, WorldModel w)
    {
        // A guest account's name stands for its home address, the address the world lists.
        var forms = Cordon.World.SubjectIdentity.Forms(subject).ToList();
        bool Named(string address) => forms.Any(f => Cordon.World.SubjectIdentity.Same(address, f));
        string? role = w.ApproverRoleOf(forms);
        return role is not null ? $"the subject is one of Cordon's approvers ({role}): containment waits for confirmation"
            : w.Operators.Any(Named) ? "the subject is one of Cordon's operators: containment waits for confirmation"
            : null;
    }
}
