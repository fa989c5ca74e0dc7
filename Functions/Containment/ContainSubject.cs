using Cordon.Access;
using Cordon.Evidence;
using System.Text.Json;
using Cordon.World;
using Cordon.Monitoring;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Cordon.Containment;

/// <summary>
/// Reversible containment: revoke sign-in sessions, disable the account, drop privileged group
/// memberships, and kill the agent's sessions in client systems that offer it. The pre-containment
/// snapshot is stored write-once with the evidence before anything changes, so a retry after a crash
/// removes the same things and the record of what was removed stays exact.
/// </summary>
public sealed class ContainSubject(IAccessControl access, IEvidenceStore evidence, ClientSessionKiller sessionKiller, TimeProvider time, CordonMetrics metrics, ILogger<ContainSubject> logger)
    : TaskActivity<ContainRequest, ContainmentRecord>
{
    internal const string PlanItem = "containment-plan.json";

    [Function(nameof(ContainSubject))]
    public Task<ContainmentRecord> Run([ActivityTrigger] ContainRequest request) => RunAsync(ActivityContexts.For(nameof(ContainSubject)), request);

    public override async Task<ContainmentRecord> RunAsync(TaskActivityContext context, ContainRequest request)
    {
        CancellationToken ct = CancellationToken.None;
        using IDisposable? scope = logger.BeginIncident(request.IncidentId);
        ContainmentPlan plan = await LoadOrTakePlanAsync(request, ct);
        // Every change goes to the account the directory resolved the subject to, under its exact name.
        string account = plan.Account ?? request.UserPrincipalName;

        // Sessions first: it is the call that starts Entra's clock on already-issued tokens.
        var sessionKills = request.Clients.Where(c => !string.IsNullOrEmpty(c.SessionKillUrl))
            .Select(c => sessionKiller.KillAsync(c, request.IncidentId, account, ct)).ToList();
        await access.RevokeSessionsAsync(account, ct);
        await access.SetAccountEnabledAsync(account, false, ct);
        if (plan.GroupsToRemove.Count > 0)
        {
            await access.RemoveGroupMembershipsAsync(account, plan.GroupsToRemove, ct);
        }

        SessionKill[] kills = await Task.WhenAll(sessionKills);
        DateTime containedAt = time.GetUtcNow().UtcDateTime;
        logger.LogInformation("Contained {Subject} for {IncidentId}: {Groups} groups removed", account, request.IncidentId, plan.GroupsToRemove.Count);
        var record = new ContainmentRecord(request.IncidentId, account, plan.WasEnabled, plan.GroupsToRemove, true, containedAt, kills);
        if (request.ReceivedAt is { } receivedAt)
        {
            // Recorded here, not in the orchestrator (which replays): the same numbers the incident shows.
            DateTime exposureEndsBy = ExposureWindows.EndsBy(record, ExposureWindows.Compute(record, request.Exposure ?? new Dictionary<string, TimeSpan>(), request.Clients));
            metrics.Contained(containedAt - receivedAt, exposureEndsBy - containedAt);
        }

        return record;
    }

    async Task<ContainmentPlan> LoadOrTakePlanAsync(ContainRequest request, CancellationToken ct)
    {
        byte[]? stored = await evidence.GetAsync(request.IncidentId, PlanItem, ct);
        if (stored is not null)
        {
            return JsonSerializer.Deserialize<ContainmentPlan>(stored)!;
        }

        AccessSnapshot snapshot = await access.GetAccessAsync(request.UserPrincipalName, ct);
        if (!snapshot.Exists)
        {
            throw new InvalidOperationException($"account {request.UserPrincipalName} does not exist in the directory");
        }

        var groups = request.PrivilegedGroups.Count == 0
            ? snapshot.Groups.ToList()
            : snapshot.Groups.Where(g => request.PrivilegedGroups.Contains(g, StringComparer.OrdinalIgnoreCase)).ToList();
        var plan = new ContainmentPlan(snapshot.AccountEnabled, groups, snapshot.UserPrincipalName);
        EvidenceItem item = await evidence.PutAsync(request.IncidentId, PlanItem, JsonSerializer.SerializeToUtf8Bytes(plan), "application/json", ct);
        await evidence.AppendCustodyAsync(request.IncidentId, "cordon/ContainSubject", "snapshot before containment", PlanItem, item.Sha256, ct);
        return plan;
    }
}
