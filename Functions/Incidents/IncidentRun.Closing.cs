using Cordon.Policy;
using Cordon.Approvals;
using Cordon.Access;
using Cordon.Offboarding;

namespace Cordon.Incidents;

internal sealed partial class IncidentRun
{
    async Task MaybeOffboardVendorAsync()
    {
        int confirmedAtSite = await StepAsync(nameof(RecordConfirmedInsider), () => context.CallActivityAsync<int>(nameof(RecordConfirmedInsider),
            new ConfirmedInsider(IncidentId, status.SiteId, status.Subject, confirmedAt ?? Now, Policy.OffboardingTrigger.Window), Retry()));
        bool triggered = confirmedAtSite >= Policy.OffboardingTrigger.ConfirmedInsiders;
        if (!triggered && !escalateToVendor)
        {
            Record(TimelineSteps.VendorOffboardingNotTriggered, $"{confirmedAtSite} confirmed insider(s) at site {status.SiteId} within {Policy.OffboardingTrigger.Window.TotalDays:0} days; trigger is {Policy.OffboardingTrigger.ConfirmedInsiders}");
            return;
        }

        string why = triggered
            ? $"{confirmedAtSite} confirmed insiders at site {status.SiteId} within {Policy.OffboardingTrigger.Window.TotalDays:0} days"
            : escalatedBy is { } by
                ? $"{by.Approver} proposed it when confirming the incident" + (string.IsNullOrWhiteSpace(by.Comment) ? "" : $": “{by.Comment}”")
                : "an approver escalated to vendor offboarding";
        Record(TimelineSteps.VendorOffboardingProposed, why);
        SetStage(Stages.AwaitingVendorApproval);
        GateResult gate = await RunGateAsync(Gates.VendorOffboarding, Policy.VendorOffboarding, reminders: null,
            Approvals.GateProposals.Offboarding(Plan.VendorName, status.SiteId, Plan.SiteName, Plan.SiteAgentCount, confirmedAtSite,
                triggered ? $"{why} (policy threshold {Policy.OffboardingTrigger.ConfirmedInsiders})" : why, Plan.VendorContacts));
        if (gate.Outcome != GateOutcome.Approved)
        {
            Record(TimelineSteps.VendorKept, gate.Outcome == GateOutcome.Rejected ? "offboarding rejected" : "offboarding not approved by the end of the chain");
            return;
        }

        SetStage(Stages.VendorOffboarding);
        int batchSize = Policy.OffboardingBatchSize;
        // At least one batch, whose last takes the rest of the site's list as offboarding finds it: a site counted 0 at
        // intake (its roster's first sync unfinished) ran no batch and revoked nobody (found by an attack).
        int batches = Math.Max(1, (Plan.SiteAgentCount + batchSize - 1) / batchSize);
        int accounts = 0, revoked = 0, requests = 0;
        var failed = new List<string>();
        var inFlight = new List<Task<BulkRevocationResult>>();
        int next = 0;
        // Bounded fan-out: at most OffboardingParallelism batches in flight, so the directory's
        // throttling budget is spent evenly instead of in one burst of 429s.
        while (next < batches || inFlight.Count > 0)
        {
            while (next < batches && inFlight.Count < Policy.OffboardingParallelism)
            {
                inFlight.Add(RevokeBatchAsync(next++, batchSize, batches));
            }

            Task<BulkRevocationResult> done = await Task.WhenAny(inFlight);
            inFlight.Remove(done);
            BulkRevocationResult r = await done;
            accounts += r.Accounts;
            revoked += r.Revoked;
            requests += r.Requests;
            failed.AddRange(r.Failed);
        }

        Record(TimelineSteps.SiteOffboarded, $"{revoked} of {accounts} accounts at site {status.SiteId} revoked in {batches} batches ({requests} directory requests)" +
            (throttleWaits > 0 ? $"; waited out the directory's throttling {throttleWaits} times" : "") +
            (failed.Count > 0 ? $"; {failed.Count} failed" : ""));
        if (failed.Count > 0)
        {
            await TellOperatorsAsync("Site offboarding incomplete", $"Incident {IncidentId}: {failed.Count} accounts at site {status.SiteId} could not be revoked: {string.Join(", ", failed.Take(20))}");
        }

        string messageId = await StepAsync(nameof(NotifyVendor), () => context.CallActivityAsync<string>(nameof(NotifyVendor),
            new VendorNotice(IncidentId, status.VendorId, Plan.VendorName, status.SiteId, Plan.SiteName, Plan.VendorContacts, revoked), Retry()));
        Record(TimelineSteps.VendorNotified, $"vendor credentials revoked; notice {messageId} sent to {string.Join(", ", Plan.VendorContacts)}");
    }

    int throttleWaits;

    /// <summary>Rounds of one batch the directory may throttle before the accounts left count as failed.</summary>
    const int MaxThrottledRounds = 60;

    /// <summary>
    /// One batch of the site, in rounds: a round the directory throttles answers with the accounts it left and
    /// the directory's Retry-After, which the incident waits out on a durable timer (no activity waits inside
    /// itself, so a crash costs seconds) before the next round takes the accounts left. A batch that fails
    /// after its retries waits for an operator on its own, named by its index.
    /// </summary>
    async Task<BulkRevocationResult> RevokeBatchAsync(int index, int size, int batches)
    {
        int accounts = 0, revoked = 0, requests = 0;
        var failed = new List<string>();
        IReadOnlyList<string>? left = null;
        for (int round = 0; ; round++)
        {
            var batch = new SiteBatch(IncidentId, status.SiteId, index, size, round, left, batches);
            BulkRevocationResult r = await StepAsync($"{nameof(RevokeSiteBatch)} {index}",
                () => context.CallActivityAsync<BulkRevocationResult>(nameof(RevokeSiteBatch), batch, Retry()));
            accounts = round == 0 ? r.Accounts : accounts;
            revoked += r.Revoked;
            requests += r.Requests;
            failed.AddRange(r.Failed);
            if (r.Pending is not { Count: > 0 } pending)
            {
                return new BulkRevocationResult(accounts, revoked, requests, failed);
            }

            if (round + 1 >= MaxThrottledRounds)
            {
                failed.AddRange(pending); // still throttled after every round: named as failed, operators are told
                return new BulkRevocationResult(accounts, revoked, requests, failed);
            }

            left = pending;
            throttleWaits++;
            // The directory's Retry-After, else an exponential back-off (1 s, 2 s, 4 s … at most a minute).
            TimeSpan wait = r.RetryAfter is { } after && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, round)));
            await TakingAlertsAsync(context.CreateTimer(Now + wait, CancellationToken.None));
        }
    }

    async Task WriteReportAsync()
    {
        var report = new IncidentReport(IncidentId, input.Alert, status, timeline.ToList(), alertSummaries.ToList());
        try
        {
            StoredReport stored = StoredReport.Read(await CallAsync<System.Text.Json.JsonElement>(nameof(WriteIncidentReport), report));
            status = status with { ReportName = stored.Name, EvidenceHead = stored.EvidenceHead };
            Record(TimelineSteps.ReportStored, $"{stored.Name} (JSON and HTML) stored with the evidence" +
                (stored.EvidenceHead is { } head ? $"; evidence custody chain head {head}" : ""));
        }
        catch (TaskFailedException ex)
        {
            Record(TimelineSteps.ReportFailed, ex.FailureDetails.ErrorMessage);
        }
    }
}
