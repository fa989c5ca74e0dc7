using Cordon.Offboarding;
using Cordon.Connectors;
using Microsoft.DurableTask;

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
            Record("vendor offboarding not triggered", $"{confirmedAtSite} confirmed insider(s) at site {status.SiteId} within {Policy.OffboardingTrigger.Window.TotalDays:0} days; trigger is {Policy.OffboardingTrigger.ConfirmedInsiders}");
            return;
        }

        string why = triggered
            ? $"{confirmedAtSite} confirmed insiders at site {status.SiteId} within {Policy.OffboardingTrigger.Window.TotalDays:0} days"
            : escalatedBy is { } by
                ? $"{by.Approver} proposed it when confirming the incident" + (string.IsNullOrWhiteSpace(by.Comment) ? "" : $": “{by.Comment}”")
                : "an approver escalated to vendor offboarding";
        Record("vendor offboarding proposed", why);
        SetStage(Stages.AwaitingVendorApproval);
        GateResult gate = await RunGateAsync("vendorOffboarding", Policy.VendorOffboarding, reminders: null,
            Approvals.GateProposals.Offboarding(Plan.VendorName, status.SiteId, Plan.SiteName, Plan.SiteAgentCount, confirmedAtSite,
                triggered ? $"{why} (policy threshold {Policy.OffboardingTrigger.ConfirmedInsiders})" : why, Plan.VendorContacts));
        if (gate.Outcome != GateOutcome.Approved)
        {
            Record("vendor kept", gate.Outcome == GateOutcome.Rejected ? "offboarding rejected" : "offboarding not approved by the end of the chain");
            return;
        }

        SetStage(Stages.VendorOffboarding);
        int batchSize = Policy.OffboardingBatchSize;
        int batches = (Plan.SiteAgentCount + batchSize - 1) / batchSize;
        int revoked = 0, requests = 0;
        var failed = new List<string>();
        var inFlight = new List<Task<BulkRevocationResult>>();
        int next = 0;
        // Bounded fan-out: at most OffboardingParallelism batches in flight, so the directory's
        // throttling budget is spent evenly instead of in one burst of 429s.
        while (next < batches || inFlight.Count > 0)
        {
            while (next < batches && inFlight.Count < Policy.OffboardingParallelism)
            {
                var batch = new SiteBatch(IncidentId, status.SiteId, next++, batchSize);
                inFlight.Add(StepAsync(nameof(RevokeSiteBatch), () => context.CallActivityAsync<BulkRevocationResult>(nameof(RevokeSiteBatch), batch, Retry())));
            }

            Task<BulkRevocationResult> done = await Task.WhenAny(inFlight);
            inFlight.Remove(done);
            BulkRevocationResult r = await done;
            revoked += r.Revoked;
            requests += r.Requests;
            failed.AddRange(r.Failed);
        }

        Record("site offboarded", $"{revoked} of {Plan.SiteAgentCount} accounts at site {status.SiteId} revoked in {batches} batches ({requests} directory requests)" +
            (failed.Count > 0 ? $"; {failed.Count} failed" : ""));
        if (failed.Count > 0)
        {
            await TellOperatorsAsync("Site offboarding incomplete", $"Incident {IncidentId}: {failed.Count} accounts at site {status.SiteId} could not be revoked: {string.Join(", ", failed.Take(20))}");
        }

        string messageId = await StepAsync(nameof(NotifyVendor), () => context.CallActivityAsync<string>(nameof(NotifyVendor),
            new VendorNotice(IncidentId, status.VendorId, Plan.VendorName, status.SiteId, Plan.SiteName, Plan.VendorContacts, revoked), Retry()));
        Record("vendor notified", $"vendor credentials revoked; notice {messageId} sent to {string.Join(", ", Plan.VendorContacts)}");
    }

    async Task WriteReportAsync()
    {
        var report = new IncidentReport(IncidentId, input.Alert, status, timeline.ToList());
        try
        {
            string name = await context.CallActivityAsync<string>(nameof(WriteIncidentReport), report, Retry());
            status = status with { ReportName = name };
            Record("report stored", $"{name} (JSON and HTML) stored with the evidence");
        }
        catch (TaskFailedException ex)
        {
            Record("report failed", ex.FailureDetails.ErrorMessage);
        }
    }
}
