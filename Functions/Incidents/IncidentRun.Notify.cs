using Cordon.Approvals;
using Cordon.Notification;
using Cordon.Policy;

namespace Cordon.Incidents;

internal sealed partial class IncidentRun
{
    async Task NotifyClientsAsync()
    {
        SetStage(Stages.AwaitingNotificationApproval);
        ComputeDeadlines();
        if (Plan.Clients.Count == 0)
        {
            Record(TimelineSteps.NoClientNotice, "no client's customer data was reachable by the subject");
            return;
        }

        Record(TimelineSteps.NoticePrepared, $"{Plan.Clients.Count} clients, {input.Alert.AffectedRecords} records; " +
            string.Join("; ", deadlines.OrderBy(d => d.DueAt).Select(d => $"{d.Name} for {d.Client} due {d.DueAt:u}")));

        var reminders = deadlines
            .SelectMany(d => Policy.ReminderLeadTimes.Select(lead => d.DueAt - lead))
            .Where(t => t > Now)
            .Distinct()
            .OrderBy(t => t)
            .ToList();
        // Legal approves the very notice the next step sends: same clients, text and deadlines.
        var preview = new NoticeRequest(IncidentId, status.Subject, status.VendorId, status.SiteId, Plan.Clients, input.Alert.AffectedRecords,
            status.Severity, confirmedAt ?? Now, deadlines.ToList());
        GateResult gate = await RunGateAsync(Gates.Notify, Policy.Notify, reminders, Approvals.GateProposals.Notice(preview));
        if (gate.Outcome != GateOutcome.Approved)
        {
            Record(TimelineSteps.NoticeNotSent, gate.Outcome == GateOutcome.Rejected
                ? "legal/privacy rejected the notice; deadlines stay open on the record"
                : "nobody approved the notice by the end of the chain; operators told");
            if (gate.Outcome == GateOutcome.Expired)
            {
                await TellOperatorsAsync("Client notice not approved", $"Incident {IncidentId}: nobody approved the client notice. Deadlines: " +
                    string.Join("; ", deadlines.Select(d => $"{d.Name} ({d.Client}) {d.DueAt:u}")));
            }

            return;
        }

        SetStage(Stages.ClientNotification);
        var request = new NoticeRequest(IncidentId, status.Subject, status.VendorId, status.SiteId, Plan.Clients, input.Alert.AffectedRecords,
            status.Severity, confirmedAt ?? Now, deadlines.ToList());
        IReadOnlyList<NoticeProof> proofs = await StepAsync(nameof(SendClientNotices),
            () => context.CallActivityAsync<IReadOnlyList<NoticeProof>>(nameof(SendClientNotices), request, Retry()));
        foreach (NoticeProof p in proofs)
        {
            Record(TimelineSteps.ClientNotified, $"{p.ClientId} via {p.Channel}: message {p.MessageId} at {p.SentAt:u}" +
                (p.SentAgain ? " (sent again, marked so: an earlier attempt's delivery could not be confirmed)" : ""));
        }

        DateTime sent = proofs.Count == 0 ? Now : proofs.Max(p => p.SentAt);
        for (int i = 0; i < deadlines.Count; i++)
        {
            deadlines[i] = deadlines[i] with { MetAt = sent };
        }

        int missed = deadlines.Count(d => d.MetAt > d.DueAt);
        status = status with { Metrics = status.Metrics with { SecondsToNotify = (sent - input.ReceivedAt).TotalSeconds } };
        Record(TimelineSteps.Deadlines, missed == 0 ? $"all {deadlines.Count} deadlines met" : $"{missed} of {deadlines.Count} deadlines missed");
        await AnnounceAsync(LifecycleEvents.Notified, null, $"{proofs.Count} client notices sent; " +
            (missed == 0 ? $"all {deadlines.Count} deadlines met" : $"{missed} of {deadlines.Count} deadlines missed"));
    }

    /// <summary>
    /// Every deadline that is running. Before confirmation only the clocks that start at detection run;
    /// those that start at confirmation join when an approver confirms.
    /// </summary>
    void ComputeDeadlines()
    {
        DateTime detected = input.Alert.DetectedAt.UtcDateTime;
        deadlines.Clear();
        foreach (AffectedClient client in Plan.Clients)
        {
            if (client.ContractNoticeHours > 0 && confirmedAt is { } confirmed)
            {
                deadlines.Add(new Deadline("contract SLA", client.Id, confirmed + TimeSpan.FromHours(client.ContractNoticeHours), null, ClockStart.Confirmed));
            }

            foreach (string jurisdiction in client.Jurisdictions)
            {
                if (Policy.Clocks.TryGetValue(jurisdiction, out RegulatoryClock? clock) && (clock.From == ClockStart.Detected || confirmedAt is not null))
                {
                    DateTime start = clock.From == ClockStart.Detected ? detected : confirmedAt!.Value;
                    deadlines.Add(new Deadline(jurisdiction, client.Id, clock.DueFrom(start), null, clock.From));
                }
            }
        }

        Publish();
    }

    async Task SendDueRemindersAsync(string gateId, IReadOnlyList<string> approvers, List<DateTime> reminders)
    {
        var due = reminders.Where(r => r <= Now).ToList();
        reminders.RemoveAll(r => r <= Now);
        if (due.Count == 0)
        {
            return;
        }

        var upcoming = deadlines.Where(d => d.MetAt is null && d.DueAt > Now).OrderBy(d => d.DueAt).ToList();
        if (upcoming.Count == 0)
        {
            return;
        }

        await StepAsync(nameof(SendReminder), () => context.CallActivityAsync<int>(nameof(SendReminder),
            new ReminderRequest(IncidentId, gateId, approvers, upcoming, Summary()), Retry()));
        Record(TimelineSteps.ReminderSent, $"next deadline {upcoming[0].Name} for {upcoming[0].Client} due {upcoming[0].DueAt:u}");
    }
}
